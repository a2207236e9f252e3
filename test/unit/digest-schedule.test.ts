import { describe, expect, it } from 'vitest';
import { TenantSettingsSchema, type Tenant } from '../../src/core/tenants.ts';
import { digestTime, digestTiming, localDayBounds, type DigestStaff } from '../../src/core/digests/schedule.ts';

const tenant = (settings: Record<string, unknown> = {}): Tenant => ({
  id: 't',
  slug: 'x',
  name: 'X',
  vertical: 'clinic',
  defaultLocale: 'en',
  locales: ['en'],
  currency: 'THB',
  timezone: 'Asia/Bangkok',
  settings: TenantSettingsSchema.parse(settings),
});
const staff = (timezone: string, working_hours: unknown = {}): DigestStaff => ({ id: 's', email: 's@x', name: 'S', role: 'rep', locale: 'en', timezone, working_hours });

describe('digest timing', () => {
  it('08:30 in the person’s own zone by default', () => {
    // Monday 23 November 2026, 01:30 UTC = 08:30 Bangkok = 04:30 Riyadh.
    const now = new Date('2026-11-23T01:30:00Z');
    expect(digestTiming(tenant(), staff('Asia/Bangkok'), now)).toMatchObject({ due: true, localDate: '2026-11-23' });
    expect(digestTiming(tenant(), staff('Asia/Riyadh'), now)).toMatchObject({ due: false, reason: 'not_yet' });
    expect(digestTiming(tenant(), staff('Asia/Riyadh'), new Date('2026-11-23T05:30:00Z'))).toMatchObject({ due: true, localDate: '2026-11-23' });
    // Three hours later the morning window has passed.
    expect(digestTiming(tenant(), staff('Asia/Bangkok'), new Date('2026-11-23T04:30:00Z'))).toMatchObject({ due: false, reason: 'window_passed' });
  });

  it('the tenant’s digest_time, a person’s own time or "off", and days off', () => {
    expect(digestTime(tenant({ digest_time: '07:00' }), staff('Asia/Bangkok'))).toBe('07:00');
    expect(digestTime(tenant({ digest_time: 'soon' }), staff('Asia/Bangkok'))).toBe('08:30');
    expect(digestTime(tenant({ digest_time: '07:00' }), staff('Asia/Bangkok', { digest_time: '09:15' }))).toBe('09:15');
    const at0700 = new Date('2026-11-23T00:00:00Z'); // 07:00 Bangkok
    expect(digestTiming(tenant({ digest_time: '07:00' }), staff('Asia/Bangkok'), at0700).due).toBe(true);
    expect(digestTiming(tenant({ digest_time: '07:00' }), staff('Asia/Bangkok', { digest_time: 'off' }), at0700)).toMatchObject({ due: false, reason: 'off' });
    const saturday = new Date('2026-11-28T01:30:00Z');
    expect(digestTiming(tenant(), staff('Asia/Bangkok', { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:00' }), saturday)).toMatchObject({ due: false, reason: 'day_off', localDate: '2026-11-28' });
    expect(digestTiming(tenant(), staff('Mars/Olympus'), saturday)).toMatchObject({ due: false, reason: 'bad_timezone' });
  });

  it('a local day’s bounds', () => {
    expect(localDayBounds('2026-11-23', 'Asia/Bangkok')).toEqual({ start: new Date('2026-11-22T17:00:00Z'), end: new Date('2026-11-23T17:00:00Z') });
  });
});
