import type { Rng } from '../../core/random.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, type SeedContext } from './context.ts';
import type { PackStage } from './packs.ts';

export type ActivityKind = 'message_in' | 'message_out' | 'call' | 'meeting' | 'note' | 'stage_change' | 'email';

export interface PlannedActivity {
  kind: ActivityKind;
  inbound?: boolean;
  /** The lead's opening message or call. */
  first?: boolean;
  from?: string;
  to?: string;
}

/** Moves a time into local waking hours (08:00–22:00) and keeps it within [floor, anchor). */
export function shapeTime(rng: Rng, ctx: SeedContext, t: number, floor: number): number {
  const { utcOffsetMs, anchorMs } = ctx;
  const local = t + utcOffsetMs;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  const hour = (local - dayStart) / HOUR_MS;
  let out = t;
  if (hour < 8 || hour >= 22) out = dayStart + rng.float(9, 21.5) * HOUR_MS - utcOffsetMs;
  // Pushed past the anchor: draw again from the hours before it, rather than
  // clamping, which would stack events on one instant.
  const latest = anchorMs - MINUTE_MS;
  if (out > latest) out = Math.max(floor, latest - rng.float(0, 12) * HOUR_MS);
  return Math.max(floor, Math.min(out, latest));
}

/**
 * The stages a lead went through, when it started and when it was last
 * touched. Open leads are younger the earlier their stage; closed ones
 * started up to a year ago and closed within four months.
 */
export function leadTimeline(
  rng: Rng,
  ctx: SeedContext,
  stage: PackStage,
  createdDaysAgo: number | undefined,
): { path: PackStage[]; start: number; end: number } {
  const open = ctx.openStages;
  let path: PackStage[];
  if (stage.is_won || stage.is_lost) {
    // Deals are won late in the funnel and lost mostly early.
    const candidates = open.map((s, i) => [i, s.allowed_next.includes(stage.key) ? (stage.is_won ? i + 1 : open.length - i) : 0] as const);
    const last = rng.weighted(candidates);
    path = [...open.slice(0, last + 1), stage];
  } else {
    path = open.slice(0, open.indexOf(stage) + 1);
  }
  const anchor = ctx.anchorMs;
  const k = path.length - 1;
  let start: number;
  let end: number;
  if (createdDaysAgo !== undefined) {
    start = anchor - createdDaysAgo * DAY_MS - rng.float(1, 20) * HOUR_MS;
    end = start + (anchor - start) * rng.float(0.7, 1);
  } else if (stage.is_won || stage.is_lost) {
    const ageDays = rng.float(15, 365);
    start = anchor - ageDays * DAY_MS;
    end = start + rng.float(3, Math.min(120, ageDays - 1)) * DAY_MS;
  } else {
    start = anchor - rng.float(k * 3, 10 + k * 30) * DAY_MS;
    end = start + (anchor - start) * (rng.chance(0.6) ? rng.float(0.85, 1) : rng.float(0.3, 0.85));
  }
  start = shapeTime(rng, ctx, start, anchor - 366 * DAY_MS);
  end = shapeTime(rng, ctx, Math.max(end, start + 10 * MINUTE_MS), start);
  return { path, start, end };
}

/**
 * The lead's activities in order: the opening inbound message (or call), our
 * first reply, a meeting where a stage ends with one, a stage change per step
 * of the path, and conversation in between. New leads only have messages
 * from the customer: nobody has answered yet.
 */
export function planActivities(
  rng: Rng,
  path: PackStage[],
  opts: { closed: boolean; firstByPhone: boolean; owned: boolean; hasEmail: boolean },
): PlannedActivity[] {
  const isNew = path.length === 1;
  const transitions = path.length - 1;
  const segments: PlannedActivity[][] = Array.from({ length: opts.closed ? transitions : transitions + 1 }, () => []);
  const firstInbound: PlannedActivity = opts.firstByPhone ? { kind: 'call', inbound: true, first: true } : { kind: 'message_in', first: true };
  let mandatory = 1;
  const tails: PlannedActivity[][] = segments.map((_, k) => {
    if (k >= transitions) return [];
    const tail: PlannedActivity[] = [];
    if (path[k]!.ends_with_meeting && !path[k + 1]!.is_lost) tail.push({ kind: 'meeting' });
    tail.push({ kind: 'stage_change', from: path[k]!.key, to: path[k + 1]!.key });
    mandatory += tail.length;
    return tail;
  });
  if (transitions > 0) {
    segments[0]!.push({ kind: 'message_out' });
    mandatory += 1;
  }
  const fillerKinds: Array<readonly [ActivityKind, number]> = isNew
    ? [['message_in', 1]]
    : [
        ['message_in', 32],
        ['message_out', 34],
        ['call', opts.owned ? 14 : 0],
        ['note', opts.owned ? 12 : 0],
        ['email', opts.owned && opts.hasEmail ? 8 : 0],
      ];
  // Long paths still get conversation between their stage changes.
  const target = isNew ? rng.int(1, 4) : Math.max(rng.int(9, 16), mandatory + rng.int(3, 8));
  for (let i = target - mandatory; i > 0; i--) {
    segments[rng.int(0, segments.length - 1)]!.push({ kind: rng.weighted(fillerKinds) });
  }
  return [firstInbound, ...segments.flatMap((seg, k) => [...seg, ...tails[k]!])];
}
