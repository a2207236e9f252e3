import { describe, expect, it } from 'vitest';
import { normaliseEmail, normalisePhone, tenantRegion } from '../../src/core/leads/phone.ts';
import { TenantSettingsSchema } from '../../src/core/tenants.ts';

const settings = TenantSettingsSchema.parse({});

describe('phone numbers to E.164', () => {
  it.each([
    ['081-234-5678', 'TH', '+66812345678'],
    ['+66 81 234 5678', undefined, '+66812345678'],
    ['0066812345678', 'TH', '+66812345678'],
    ['๐๘๑ ๒๓๔ ๕๖๗๘', 'TH', '+66812345678'],
    ['٠٥٠١٢٣٤٥٦٧', 'SA', '+966501234567'],
    ['050 123 4567', 'SA', '+966501234567'],
  ] as const)('%s (%s) → %s', (raw, region, e164) => {
    expect(normalisePhone(raw, region)).toBe(e164);
  });

  it('rejects what is not a phone number', () => {
    expect(normalisePhone('12345', 'TH')).toBeUndefined();
    expect(normalisePhone('call me', 'TH')).toBeUndefined();
    expect(normalisePhone('0812345678', undefined)).toBeUndefined();
  });

  it('derives the default region from the tenant, a setting first', () => {
    expect(tenantRegion({ currency: 'THB', timezone: 'Asia/Bangkok', settings })).toBe('TH');
    expect(tenantRegion({ currency: 'SAR', timezone: 'Asia/Riyadh', settings })).toBe('SA');
    expect(tenantRegion({ currency: 'SAR', timezone: 'Asia/Riyadh', settings: { ...settings, default_region: 'ae' } })).toBe('AE');
    expect(tenantRegion({ currency: 'XXX', timezone: 'Etc/UTC', settings })).toBeUndefined();
  });

  it('compares emails without case or surrounding space', () => {
    expect(normaliseEmail('  Somjai.C@Example.COM ')).toBe('somjai.c@example.com');
    expect(normaliseEmail('not-an-email')).toBeUndefined();
  });
});
