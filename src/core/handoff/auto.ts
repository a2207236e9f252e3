/**
 * Automatic handoff: a customer whose questions the assistant could not
 * answer this many turns in a row is handed to a person, as if they had
 * asked for one. Tenant setting `handoff_auto_after_unanswered` (0 turns it
 * off); two by default, so one odd question gets the usual "I've asked the
 * team" and only a conversation that keeps failing goes live to staff.
 */
export const DEFAULT_AUTO_HANDOFF_AFTER = 2;

export function autoHandoffAfter(settings: Record<string, unknown>): number {
  const v = settings.handoff_auto_after_unanswered;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : DEFAULT_AUTO_HANDOFF_AFTER;
}

/** The conversation-state key counting unanswered turns in a row. */
export const UNANSWERED_STREAK_KEY = 'unanswered_streak';

/** The streak after this turn: one more when it went unanswered, back to zero when anything was answered. */
export function nextStreak(state: Record<string, unknown>, unhandled: boolean): number {
  const prev = state[UNANSWERED_STREAK_KEY];
  return unhandled ? (typeof prev === 'number' && prev >= 0 ? prev : 0) + 1 : 0;
}
