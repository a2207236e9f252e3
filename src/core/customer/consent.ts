import type { Sql } from '../../db/database.ts';
import { NotFoundError } from '../../errors.ts';
import { markScoreStale } from '../leads/stale.ts';
import type { Tenant } from '../tenants.ts';
import { customerText } from './match.ts';
import { recordActivity } from './tasks.ts';
import { cancelPending } from '../followups/events.ts';

/**
 * Opting out and back in. Opting out also cancels every follow-up still
 * waiting to be sent, in the same transaction, so no scheduled message can
 * slip out after the customer said stop.
 */

export type Consent = 'opted_in' | 'opted_out';

// Opt-out words are checked first: "unsubscribe" contains "subscribe", "إلغاء الاشتراك" contains "الاشتراك".
const OPT_OUT = ['opt out', 'optout', 'opt-out', 'opted_out', 'unsubscribe', 'stop', "don't message", 'do not message', 'ไม่ต้องส่ง', 'ยกเลิก', 'เลิกส่ง', 'หยุดส่ง', 'ไม่รับ', 'الغاء', 'توقف', 'اوقف', 'لا ترسل', 'لا تراسل'];
const OPT_IN = ['opt in', 'optin', 'opt-in', 'opted_in', 'subscribe', 'resubscribe', 'start', 'สมัคร', 'รับข่าว', 'ส่งมาได้', 'اشتراك', 'اشترك', 'ارسل لي'];

/** Maps what a customer wrote (or a button value) to a consent state; undefined when it is neither. */
export function parseConsent(raw: string): Consent | undefined {
  const t = customerText(raw);
  if (OPT_OUT.some((w) => t.includes(customerText(w)))) return 'opted_out';
  if (OPT_IN.some((w) => t.includes(customerText(w)))) return 'opted_in';
  return undefined;
}

export interface ConsentResult {
  consent: Consent;
  previous: string;
  changed: boolean;
  cancelledFollowups: number;
}

export async function setConsent(sql: Sql, tenant: Tenant, leadId: string, consent: Consent, now: Date, channel?: string): Promise<ConsentResult> {
  const lead = (await sql.query<{ consent: string }>('SELECT consent FROM leads WHERE id = $1 FOR UPDATE', [leadId])).rows[0];
  if (!lead) throw new NotFoundError('Your record was not found.');
  const changed = lead.consent !== consent;
  if (changed) await sql.query('UPDATE leads SET consent = $2, consent_changed_at = $3, updated_at = now() WHERE id = $1', [leadId, consent, now]);
  let cancelledFollowups = 0;
  if (consent === 'opted_out') {
    // Even when already opted out: a follow-up scheduled by mistake since must not go out either.
    cancelledFollowups = await cancelPending(sql, leadId, 'opted_out', now);
  }
  if (changed || cancelledFollowups) {
    await recordActivity(sql, tenant, leadId, 'consent', `Customer ${consent === 'opted_out' ? 'opted out' : 'opted in'}`, { from: lead.consent, to: consent, cancelled_followups: cancelledFollowups, channel: channel ?? null }, now);
    await markScoreStale(sql, leadId);
  }
  return { consent, previous: lead.consent, changed, cancelledFollowups };
}
