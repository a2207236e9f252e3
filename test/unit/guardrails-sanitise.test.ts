import { describe, expect, it } from 'vitest';
import { sanitiseForCustomer, type CustomerSelf } from '../../src/agents/guardrails/sanitise.ts';

const self: CustomerSelf = { leadId: '11111111-1111-4111-8111-111111111111', phone: '+66812345678', email: 'nok@example.com' };
const OTHER = '22222222-2222-4222-8222-222222222222';

describe('tool-output sanitiser (what a customer-facing model may read)', () => {
  it('drops internal fields at any depth, whatever the tool', () => {
    const out = sanitiseForCustomer(
      { name: 'นก', score: 78, grade: 'A', score_factors: [{ k: 1 }], owner_id: 'x', owner_name: 'Ploy', notes: 'pushy', internal_flag: true, nested: { win_probability: 0.4, price: 4900, coach_tip: 'x' } },
      self,
    );
    expect(out).toEqual({ name: 'นก', nested: { price: 4900 } });
  });

  it("drops every lead_id field and another lead's leadId, keeps ids of other things", () => {
    // lead_id is internal by name (the customer's tools resolve their own lead without it).
    const out = sanitiseForCustomer({ lead_id: OTHER, booking: { id: OTHER, leadId: self.leadId }, items: [{ lead_id: self.leadId }, { leadId: OTHER }] }, self);
    expect(out).toEqual({ booking: { id: OTHER, leadId: self.leadId }, items: [{}, {}] });
  });

  it('redacts foreign phone numbers and emails inside strings, keeps the customer\'s own', () => {
    const out = sanitiseForCustomer(
      { text: 'Call 081-234-5678 or +66 89 123 4567; mail nok@example.com or somjai.c@example.com' },
      self,
    ) as { text: string };
    expect(out.text).toBe('Call 081-234-5678 or [redacted]; mail nok@example.com or [redacted]');
  });

  it('leaves prices, dates, times and uuids alone', () => {
    const s = 'Acne laser 5 sessions 15,000 THB on 2026-11-21 at 14:30, ref ' + OTHER;
    expect(sanitiseForCustomer(s, self)).toBe(s);
    expect(sanitiseForCustomer(3000000, self)).toBe(3000000);
    expect(sanitiseForCustomer(null, self)).toBeNull();
  });

  it('serialises dates and stops at a depth limit instead of walking forever', () => {
    expect(sanitiseForCustomer({ at: new Date('2026-11-20T00:00:00Z') }, self)).toEqual({ at: '2026-11-20T00:00:00.000Z' });
    let deep: Record<string, unknown> = { v: 'bottom' };
    for (let i = 0; i < 12; i++) deep = { d: deep };
    expect(JSON.stringify(sanitiseForCustomer(deep, self))).not.toContain('bottom');
  });

  it('redacts every phone when the customer has none on file', () => {
    expect(sanitiseForCustomer('my number is 0812345678', { leadId: self.leadId })).toBe('my number is [redacted]');
  });
});
