import { describe, expect, it } from 'vitest';
import { bestTimeToContact, usualHour } from '../../src/core/prioritiser/best-time.ts';
import { PRIORITY, reasonsFor } from '../../src/core/prioritiser/hot.ts';

const hours = (entries: [number, number][]) => new Map(entries);
const bangkok = 'Asia/Bangkok';
const clinicHours = { start: '10:00', end: '20:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] };
// Riyadh agencies close on Fridays.
const realtyHours = { start: '10:00', end: '20:00', days: ['sat', 'sun', 'mon', 'tue', 'wed', 'thu'] };

describe('usualHour', () => {
  it('needs at least two messages and breaks ties towards the earlier hour', () => {
    expect(usualHour(hours([]))).toBeNull();
    expect(usualHour(hours([[19, 1]]))).toBeNull();
    expect(usualHour(hours([[19, 3], [11, 1]]))).toBe(19);
    expect(usualHour(hours([[19, 2], [11, 2]]))).toBe(11);
  });
});

describe('bestTimeToContact', () => {
  it('suggests the lead’s usual hour today when it is still ahead (in the lead’s timezone)', () => {
    // 2026-11-20 03:00 UTC = 10:00 in Bangkok.
    const r = bestTimeToContact({ now: new Date('2026-11-20T03:00:00Z'), timeZone: bangkok, businessHours: clinicHours, inboundHours: hours([[19, 4], [12, 1]]) });
    expect(r).toMatchObject({ basis: 'history', hour: 19 });
    expect(r.at.toISOString()).toBe('2026-11-20T12:00:00.000Z');
  });

  it('moves to tomorrow once today’s usual hour has passed', () => {
    const r = bestTimeToContact({ now: new Date('2026-11-20T14:00:00Z'), timeZone: bangkok, businessHours: clinicHours, inboundHours: hours([[19, 4]]) });
    expect(r.at.toISOString()).toBe('2026-11-21T12:00:00.000Z');
  });

  it('says "now" (next quarter hour) when inside the usual hour', () => {
    const r = bestTimeToContact({ now: new Date('2026-11-20T12:07:00Z'), timeZone: bangkok, businessHours: clinicHours, inboundHours: hours([[19, 4]]) });
    expect(r.at.toISOString()).toBe('2026-11-20T12:15:00.000Z');
  });

  it('falls back to business hours without history, or when the usual hour is outside them', () => {
    const none = bestTimeToContact({ now: new Date('2026-11-20T01:00:00Z'), timeZone: bangkok, businessHours: clinicHours, inboundHours: hours([]) });
    expect(none).toMatchObject({ basis: 'business_hours', hour: 10 });
    expect(none.at.toISOString()).toBe('2026-11-20T03:00:00.000Z');
    const night = bestTimeToContact({ now: new Date('2026-11-20T01:00:00Z'), timeZone: bangkok, businessHours: clinicHours, inboundHours: hours([[23, 5]]) });
    expect(night.basis).toBe('business_hours');
  });

  it('skips days the business is closed (a Friday in Riyadh)', () => {
    // Thursday 2026-11-19 21:00 Riyadh (18:00 UTC): after hours, and Friday is closed → Saturday 10:00.
    const r = bestTimeToContact({ now: new Date('2026-11-19T18:00:00Z'), timeZone: 'Asia/Riyadh', businessHours: realtyHours, inboundHours: hours([]) });
    expect(r.at.toISOString()).toBe('2026-11-21T07:00:00.000Z');
  });
});

describe('reasonsFor', () => {
  const base = { p_sla: 0, p_recent: 0, p_value: 0, p_cold: 0, waited_min: null, days_since_contact: 1, deal_amount: 0, score: 55, grade: 'C' };
  it('leads with an SLA breach, then the next biggest reason, then the score', () => {
    const r = reasonsFor({ ...base, p_sla: PRIORITY.slaBreached, p_recent: 9, waited_min: 90, p_value: 6, deal_amount: 30000 }, 15);
    expect(r.map((x) => x.key)).toEqual(['sla_breached', 'value', 'score']);
    expect(r[0]!.params).toMatchObject({ minutes: 90, sla: 15 });
  });

  it('falls back to the score alone when nothing else stands out', () => {
    expect(reasonsFor(base, 15)).toEqual([{ key: 'score', params: { score: 55, grade: 'C' } }]);
    expect(reasonsFor({ ...base, score: null, grade: null }, 15)).toEqual([{ key: 'score', params: { score: 0, grade: '-' } }]);
  });
});
