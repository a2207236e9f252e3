import { isObjectionCategory, type ObjectionCategory } from '../objections/categories.ts';
import { classifyObjection } from '../objections/classify.ts';

/** One entry of the lead's recent history, newest first. */
export interface TimelineItem {
  at: Date;
  kind: string;
  body: string | null;
  data: Record<string, unknown>;
}

export interface LastObjection {
  category: ObjectionCategory;
  text: string;
  at: Date;
  /** 'recorded': a rep reported it (handle_objection); 'message': read from the customer's own words. */
  source: 'recorded' | 'message';
}

// A customer's message is only taken for an objection when a phrase names it outright:
// "is there a promotion this month?" must not become a competitor objection.
const MIN_MESSAGE_CONFIDENCE = 0.5;

/** The most recent objection in the lead's history, recorded by a rep or voiced by the customer. */
export function findLastObjection(timeline: readonly TimelineItem[]): LastObjection | null {
  for (const item of timeline) {
    const recorded = item.data.objection as { category?: unknown } | undefined;
    if (recorded && typeof recorded.category === 'string' && isObjectionCategory(recorded.category)) {
      return { category: recorded.category, text: item.body ?? '', at: item.at, source: 'recorded' };
    }
    if (item.kind === 'message_in' && item.body) {
      const c = classifyObjection(item.body);
      if (c.method !== 'embedding' && c.method !== 'none' && c.confidence >= MIN_MESSAGE_CONFIDENCE) {
        return { category: c.category, text: item.body, at: item.at, source: 'message' };
      }
    }
  }
  return null;
}

export interface ContactSignals {
  /** Whole days since the last touch in either direction; null when there was none. */
  daysSinceContact: number | null;
  /** The customer wrote last and nobody has answered since. */
  awaitingReply: boolean;
  hoursWaiting: number | null;
}

const HOUR = 3_600_000;

export function contactSignals(
  lead: { lastContactAt: Date | null; lastInboundAt: Date | null },
  timeline: readonly TimelineItem[],
  now: Date,
): ContactSignals {
  const latest = (dates: (Date | null | undefined)[]) => {
    const ms = dates.filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
    return ms.length ? Math.max(...ms) : null;
  };
  const inbound = latest([lead.lastInboundAt, ...timeline.filter((t) => t.kind === 'message_in' || (t.kind === 'call' && t.data.direction === 'in')).map((t) => t.at)]);
  const outbound = latest([lead.lastContactAt, ...timeline.filter((t) => ['message_out', 'call', 'email', 'meeting'].includes(t.kind) && t.data.direction !== 'in').map((t) => t.at)]);
  const last = latest([inbound === null ? null : new Date(inbound), outbound === null ? null : new Date(outbound)]);
  const awaitingReply = inbound !== null && (outbound === null || inbound > outbound);
  return {
    daysSinceContact: last === null ? null : Math.max(0, Math.floor((now.getTime() - last) / (24 * HOUR))),
    awaitingReply,
    hoursWaiting: awaitingReply && inbound !== null ? Math.max(0, Math.floor((now.getTime() - inbound) / HOUR)) : null,
  };
}

export interface CoachBasis {
  stagePlaybook: boolean;
  budget: boolean;
  needs: boolean;
  grade: boolean;
  recentHistory: boolean;
  lastObjection: boolean;
}

/**
 * How much the advice rests on: the stage playbook alone is a generic
 * answer; each fact about this lead makes it more specific. Stale history
 * (a month without contact) lowers it, because the facts may have changed.
 */
export function coachConfidence(basis: CoachBasis, daysSinceContact: number | null): number {
  if (!basis.stagePlaybook) return 0.2;
  const facts = [basis.budget, basis.needs, basis.grade, basis.recentHistory, basis.lastObjection].filter(Boolean).length;
  let c = 0.4 + 0.1 * facts;
  if (daysSinceContact !== null && daysSinceContact > 30) c -= 0.1;
  return Math.round(Math.min(0.9, Math.max(0.1, c)) * 100) / 100;
}
