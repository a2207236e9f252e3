import type { Sql } from '../../db/database.ts';
import { CloserError, NotFoundError, PolicyRefusal } from '../../errors.ts';
import type { Actor } from '../actors.ts';
import { normaliseText } from '../format.ts';
import { pickUnambiguous, searchLeads, type LeadMatch } from './search.ts';

/**
 * Words that mean "the lead we are talking about" in the languages we serve.
 * The rules router and the LLM both may pass them as a lead reference.
 */
const PRONOUNS = new Set([
  'she', 'her', 'he', 'him', 'they', 'them', 'this lead', 'that lead', 'the lead', 'this customer', 'that customer', 'this one', 'that one', 'it',
  'เธอ', 'เขา', 'คนนี้', 'ลูกค้าคนนี้', 'ลูกค้าคนนั้น', 'คนนั้น', 'น้อง',
  'هي', 'هو', 'هذا العميل', 'العميل', 'هذه العميلة', 'ها', 'ه',
]);

export function isPronoun(ref: string): boolean {
  return PRONOUNS.has(normaliseText(ref));
}

/** Several leads fit a reference: the user must choose (never a guess). The tool runner turns this into buttons. */
export class AmbiguousLeadError extends CloserError {
  constructor(
    readonly reference: string,
    readonly candidates: LeadMatch[],
  ) {
    super(`"${reference}" matches ${candidates.length} leads; choose one.`, 'AMBIGUOUS_LEAD', { reference });
  }
}

export interface LeadRef {
  lead_id?: string | undefined;
  /** A name, phone, email or pronoun. */
  lead?: string | undefined;
}

/**
 * Resolves which lead a tool call is about:
 * - a customer: always their own lead (asking for another is refused);
 * - an explicit id; a pronoun or nothing → the conversation's lead in focus;
 * - a name/phone/email → the single clear match, else AmbiguousLeadError / NotFoundError.
 */
export async function resolveLeadRef(sql: Sql, actor: Actor, ref: LeadRef, focusLeadId: string | null | undefined, opts: { write?: boolean } = {}): Promise<string> {
  if (actor.role === 'customer') {
    if (!actor.leadId) throw new PolicyRefusal('this conversation is not linked to a customer record.');
    if (ref.lead_id && ref.lead_id !== actor.leadId) throw new PolicyRefusal('customers can only see their own record.');
    return actor.leadId;
  }
  const id = await resolveStaffLeadRef(sql, ref, focusLeadId);
  if (opts.write) await assertMayChangeLead(sql, actor, id);
  return id;
}

/**
 * The one ownership rule for staff writes: a lead may be changed by its
 * owner, by a manager or an admin, and, when nobody owns it, by a rep if the
 * tenant allows it (settings.reps_may_change_unassigned, default true).
 * Every write tool resolves its lead through resolveLeadRef(…, { write: true }).
 */
export async function assertMayChangeLead(sql: Sql, actor: Actor, leadId: string): Promise<void> {
  if (actor.role === 'manager' || actor.role === 'admin') return;
  const { rows } = await sql.query<{ owner_id: string | null; lead: string; owner: string | null; unassigned_ok: boolean }>(
    `SELECT l.owner_id, l.display_name AS lead, s.name AS owner,
            COALESCE((t.settings->>'reps_may_change_unassigned')::boolean, true) AS unassigned_ok
     FROM leads l JOIN tenants t ON t.id = l.tenant_id LEFT JOIN staff_users s ON s.id = l.owner_id WHERE l.id = $1`,
    [leadId],
  );
  const r = rows[0];
  if (!r) throw new NotFoundError(`No lead with id ${leadId}.`);
  if (r.owner_id !== null && r.owner_id === actor.staffUserId) return;
  if (r.owner_id === null && r.unassigned_ok) return;
  if (r.owner_id === null) throw new PolicyRefusal(`${r.lead} has no owner yet, and only managers may change unassigned leads here.`, { i18n: 'errors.unassigned', lead: r.lead });
  throw new PolicyRefusal(`${r.lead} belongs to ${r.owner ?? 'another rep'}: only the owner or a manager can change it.`, { i18n: 'errors.not_owner', lead: r.lead, owner: r.owner ?? '' });
}

async function resolveStaffLeadRef(sql: Sql, ref: LeadRef, focusLeadId: string | null | undefined): Promise<string> {
  if (ref.lead_id) {
    const { rows } = await sql.query('SELECT 1 FROM leads WHERE id = $1', [ref.lead_id]);
    if (!rows[0]) throw new NotFoundError(`No lead with id ${ref.lead_id}.`);
    return ref.lead_id;
  }
  const text = ref.lead?.trim();
  if (!text || isPronoun(text)) {
    if (focusLeadId) return focusLeadId;
    throw new NotFoundError(text ? `I don't know who "${text}" is yet: name the lead first (e.g. "tell me about Nok").` : 'Which lead? Name them, e.g. "tell me about Nok".');
  }
  const matches = await searchLeads(sql, text);
  if (matches.length === 0) throw new NotFoundError(`No lead matches "${text}".`);
  const one = pickUnambiguous(text, matches);
  if (!one) throw new AmbiguousLeadError(text, matches);
  return one.id;
}
