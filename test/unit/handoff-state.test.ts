import { describe, expect, it } from 'vitest';
import { handoffIdleExpired, handoffSettings, handoffSlaBreached } from '../../src/core/handoff/state.ts';

const start = new Date('2026-11-20T10:00:00Z');
const at = (min: number) => new Date(start.getTime() + min * 60_000);

describe('handoff timing', () => {
  it('expires after the idle time since it opened, restarting with each staff reply', () => {
    expect(handoffIdleExpired({ started_at: start, last_staff_at: null }, 120, at(119))).toBe(false);
    expect(handoffIdleExpired({ started_at: start, last_staff_at: null }, 120, at(120))).toBe(true);
    expect(handoffIdleExpired({ started_at: start, last_staff_at: at(100) }, 120, at(200))).toBe(false);
    expect(handoffIdleExpired({ started_at: start, last_staff_at: at(100) }, 120, at(220))).toBe(true);
  });
  it('re-alerts only an open handoff nobody answered', () => {
    expect(handoffSlaBreached({ status: 'open', last_staff_at: null })).toBe(true);
    expect(handoffSlaBreached({ status: 'open', last_staff_at: at(5) })).toBe(false);
    expect(handoffSlaBreached({ status: 'resolved', last_staff_at: null })).toBe(false);
  });
  it('reads settings with defaults and ignores nonsense', () => {
    expect(handoffSettings({})).toEqual({ idleMinutes: 120, slackChannel: undefined, slaMinutes: 60 });
    expect(handoffSettings({ handoff_idle_minutes: 30, handoff_slack_channel: ' C42 ', sla_response_minutes: 15 })).toEqual({ idleMinutes: 30, slackChannel: 'C42', slaMinutes: 15 });
    expect(handoffSettings({ handoff_idle_minutes: -5, handoff_slack_channel: 7 })).toMatchObject({ idleMinutes: 120, slackChannel: undefined });
  });
});
