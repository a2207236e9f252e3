import { describe, expect, it } from 'vitest';
import { holdToDaytime, isQuiet } from '../../src/core/followups/quiet-hours.ts';

const NIGHT = { start: '21:00', end: '09:00' };

describe('holdToDaytime', () => {
  it('moves a 03:00 Bangkok send to 09:00 the same local morning', () => {
    // 03:00 in Bangkok (UTC+7) is 20:00 UTC the day before.
    expect(holdToDaytime(new Date('2026-11-19T20:00:00Z'), 'Asia/Bangkok', NIGHT).toISOString()).toBe('2026-11-20T02:00:00.000Z');
  });

  it('moves a 22:30 send to 09:00 the next day', () => {
    // 22:30 in Riyadh (UTC+3) is 19:30 UTC.
    expect(holdToDaytime(new Date('2026-11-20T19:30:00Z'), 'Asia/Riyadh', NIGHT).toISOString()).toBe('2026-11-21T06:00:00.000Z');
  });

  it('leaves daytime sends alone, including the exact end of the quiet hours', () => {
    const noon = new Date('2026-11-20T05:00:00Z'); // 12:00 Bangkok
    expect(holdToDaytime(noon, 'Asia/Bangkok', NIGHT)).toBe(noon);
    const nine = new Date('2026-11-20T02:00:00Z'); // 09:00 Bangkok
    expect(isQuiet(nine, 'Asia/Bangkok', NIGHT)).toBe(false);
    expect(isQuiet(new Date('2026-11-20T14:00:00Z'), 'Asia/Bangkok', NIGHT)).toBe(true); // 21:00
  });

  it('uses the lead time zone, not the server one', () => {
    const at = new Date('2026-11-20T03:00:00Z'); // 10:00 Bangkok, 06:00 Riyadh
    expect(isQuiet(at, 'Asia/Bangkok', NIGHT)).toBe(false);
    expect(holdToDaytime(at, 'Asia/Riyadh', NIGHT).toISOString()).toBe('2026-11-20T06:00:00.000Z');
  });

  it('handles a window that does not wrap midnight, and an empty one', () => {
    const lunch = { start: '12:00', end: '13:00' };
    expect(holdToDaytime(new Date('2026-11-20T05:30:00Z'), 'Asia/Bangkok', lunch).toISOString()).toBe('2026-11-20T06:00:00.000Z');
    const at = new Date('2026-11-20T20:00:00Z');
    expect(holdToDaytime(at, 'Asia/Bangkok', { start: '00:00', end: '00:00' })).toBe(at);
  });
});
