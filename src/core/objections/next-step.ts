import type { Tenant } from '../tenants.ts';
import type { ObjectionCategory } from './categories.ts';
import type { TailorLine, ItemRef } from './tailor.ts';

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface FollowUp {
  weekday: Weekday;
  /** The local date in the tenant's timezone, YYYY-MM-DD. */
  date: string;
}

export type NextStepAction =
  | { kind: 'offer_starter'; item: ItemRef }
  | { kind: 'offer_instalments'; item: ItemRef; months: number; monthly: number }
  | { kind: 'send_listings'; count: number; cap: number }
  | { kind: 'hold_slot' }
  | { kind: 'invite_consultation'; item: ItemRef | null }
  | { kind: 'share_proof' }
  | { kind: 'compare_value' }
  | { kind: 'share_summary' }
  | { kind: 'check_in' };

export type NextStep = NextStepAction & { followUp: FollowUp };

function weekdayIn(d: Date, timeZone: string): Weekday {
  return new Intl.DateTimeFormat('en-US', { weekday: 'long', timeZone }).format(d).toLowerCase() as Weekday;
}

function localDate(d: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(d);
}

/** The business's open days from its settings ('mon'…'sun', or 0–6 from Sunday); every day when unset. */
export function openDays(tenant: Pick<Tenant, 'settings'>): Set<Weekday> {
  const days = tenant.settings.business_hours.days;
  if (!days?.length) return new Set(WEEKDAYS);
  const out = new Set<Weekday>();
  for (const d of days) {
    if (typeof d === 'number') {
      const w = WEEKDAYS[((d % 7) + 7) % 7];
      if (w) out.add(w);
    } else {
      const w = WEEKDAYS.find((x) => x.startsWith(d.trim().toLowerCase().slice(0, 3)));
      if (w) out.add(w);
    }
  }
  return out.size ? out : new Set(WEEKDAYS);
}

/**
 * When to check back after an objection: the day after for a stall ("I'll
 * think about it": a held slot lasts 24 hours), two days otherwise, moved to
 * the next day the business is open.
 */
export function followUpDay(now: Date, tenant: Pick<Tenant, 'timezone' | 'settings'>, category: ObjectionCategory): FollowUp {
  const open = openDays(tenant);
  let d = new Date(now.getTime() + (category === 'time' ? 1 : 2) * 86_400_000);
  for (let i = 0; i < 7 && !open.has(weekdayIn(d, tenant.timezone)); i++) d = new Date(d.getTime() + 86_400_000);
  return { weekday: weekdayIn(d, tenant.timezone), date: localDate(d, tenant.timezone) };
}

/** The one concrete thing to do next, from the main objection and what the lead's context offers. */
export function nextStep(
  category: ObjectionCategory,
  lines: readonly TailorLine[],
  opts: { vertical: Tenant['vertical']; consultation: ItemRef | null; followUp: FollowUp },
): NextStep {
  const find = <K extends TailorLine['kind']>(kind: K) => lines.find((l): l is Extract<TailorLine, { kind: K }> => l.kind === kind);
  const clinic = opts.vertical === 'clinic';
  let action: NextStepAction;
  switch (category) {
    case 'price': {
      const starter = find('starter');
      const instalments = find('instalments');
      const listings = find('listings');
      if (starter?.items[0]) action = { kind: 'offer_starter', item: starter.items[0] };
      else if (instalments) action = { kind: 'offer_instalments', item: instalments.item, months: instalments.months, monthly: instalments.monthly };
      else if (listings) action = { kind: 'send_listings', count: listings.listings.length, cap: listings.cap };
      else action = { kind: 'compare_value' };
      break;
    }
    case 'time':
      action = clinic ? { kind: 'hold_slot' } : { kind: 'check_in' };
      break;
    case 'need':
      action = clinic ? { kind: 'invite_consultation', item: opts.consultation } : find('listings') ? { kind: 'send_listings', count: find('listings')!.listings.length, cap: find('listings')!.cap } : { kind: 'check_in' };
      break;
    case 'trust':
      action = clinic ? { kind: 'invite_consultation', item: opts.consultation } : { kind: 'share_proof' };
      break;
    case 'competitor':
      action = { kind: 'compare_value' };
      break;
    case 'authority':
      action = { kind: 'share_summary' };
      break;
    case 'other':
      action = { kind: 'check_in' };
      break;
  }
  return { ...action, followUp: opts.followUp };
}
