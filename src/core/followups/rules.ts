import { z } from 'zod';
import type { Sql } from '../../db/database.ts';

/** Events that can start a sequence. no_reply and stage_idle are found by the scheduler's scan; the rest are pushed by onLeadEvent. */
export const TRIGGER_EVENTS = ['lead_created', 'stage_entered', 'stage_idle', 'no_reply', 'appointment_booked', 'appointment_completed', 'listing_matched'] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

export const RuleTrigger = z.object({
  event: z.enum(TRIGGER_EVENTS),
  stage: z.string().min(1).optional(),
  after_minutes: z.number().int().positive().optional(),
  /** lead_created only: the lead sources this rule is for (e.g. ["import", "website_form"]). A lead who wrote to us first is already talking to the bot and needs no intro. */
  sources: z.array(z.string().min(1)).min(1).optional(),
});

export const RuleStep = z.object({
  delay_minutes: z.number().int().min(0),
  channel: z.string().min(1).default('auto'),
  templates: z.record(z.string(), z.string().min(1)),
});
export type RuleStep = z.infer<typeof RuleStep>;

export interface FollowupRule {
  id: string;
  key: string;
  name: string;
  trigger: z.infer<typeof RuleTrigger>;
  steps: RuleStep[];
}

/** Active rules of the tenant in scope; a malformed rule is left out (and reported) rather than breaking every other rule. */
export async function loadRules(sql: Sql, onInvalid?: (key: string, message: string) => void): Promise<FollowupRule[]> {
  const { rows } = await sql.query<{ id: string; key: string; name: string; trigger: unknown; steps: unknown }>(
    'SELECT id, key, name, trigger, steps FROM followup_rules WHERE active ORDER BY key',
  );
  const out: FollowupRule[] = [];
  for (const r of rows) {
    const trigger = RuleTrigger.safeParse(r.trigger);
    const steps = z.array(RuleStep).min(1).safeParse(r.steps);
    if (!trigger.success || !steps.success) {
      onInvalid?.(r.key, (trigger.error ?? steps.error)?.message ?? 'invalid');
      continue;
    }
    out.push({ id: r.id, key: r.key, name: r.name, trigger: trigger.data, steps: steps.data });
  }
  return out;
}

/**
 * Due times of a rule's steps from the moment it fired. Each step's delay
 * counts from the trigger (the packs read 0, 2 days, 7 days), and never goes
 * before the previous step, so steps always run in order.
 */
export function stepDueTimes(rule: Pick<FollowupRule, 'steps'>, firedAt: Date): Date[] {
  let prev = firedAt.getTime();
  return rule.steps.map((s) => {
    prev = Math.max(prev, firedAt.getTime() + s.delay_minutes * 60_000);
    return new Date(prev);
  });
}
