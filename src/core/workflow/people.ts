import type { Sql } from '../../db/database.ts';
import { NotFoundError, ToolInputError } from '../../errors.ts';
import type { Actor } from '../actors.ts';
import { foldScript } from './time-vocab.ts';

export interface StaffRef {
  id: string;
  name: string;
  role: 'rep' | 'manager' | 'admin';
}

export interface WorkflowLead {
  id: string;
  displayName: string;
  stageKey: string;
  ownerId: string | null;
  ownerName: string | null;
  timezone: string | null;
  consent: string;
  unreachable: boolean;
}

export async function loadWorkflowLead(sql: Sql, leadId: string): Promise<WorkflowLead> {
  const { rows } = await sql.query<{
    id: string; display_name: string; stage_key: string; owner_id: string | null; owner_name: string | null; timezone: string | null; consent: string; unreachable: boolean;
  }>(
    `SELECT l.id, l.display_name, l.stage_key, l.owner_id, s.name AS owner_name, l.timezone, l.consent, l.unreachable
     FROM leads l LEFT JOIN staff_users s ON s.id = l.owner_id WHERE l.id = $1`,
    [leadId],
  );
  const r = rows[0];
  if (!r) throw new NotFoundError(`No lead with id ${leadId}.`);
  return { id: r.id, displayName: r.display_name, stageKey: r.stage_key, ownerId: r.owner_id, ownerName: r.owner_name, timezone: r.timezone, consent: r.consent, unreachable: r.unreachable };
}

/** "me" in the languages we serve: the person asking. */
const SELF = new Set(['me', 'myself', 'ฉัน', 'ผม', 'ดิฉัน', 'หนู', 'เรา', 'انا', 'لي', 'الي', 'نفسي']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The staff member a request names: "me", an id, an email, a full name or a
 * first name ("Ploy"). Only active staff; two people with the same first
 * name are an error listing both, never a guess.
 */
export async function resolveStaff(sql: Sql, actor: Actor, ref: string): Promise<StaffRef> {
  const text = ref.trim();
  const q = foldScript(text);
  const select = 'SELECT id, name, role FROM staff_users WHERE active';
  if (SELF.has(q)) {
    if (!actor.staffUserId) throw new ToolInputError('only staff can be assigned work.');
    const { rows } = await sql.query<StaffRef>(`${select} AND id = $1`, [actor.staffUserId]);
    if (!rows[0]) throw new NotFoundError('your staff account is not active.');
    return rows[0];
  }
  if (UUID.test(text)) {
    const { rows } = await sql.query<StaffRef>(`${select} AND id = $1`, [text]);
    if (!rows[0]) throw new NotFoundError(`No active staff member with id ${text}.`);
    return rows[0];
  }
  if (text.includes('@')) {
    const { rows } = await sql.query<StaffRef>(`${select} AND lower(email) = lower($1)`, [text]);
    if (!rows[0]) throw new NotFoundError(`No active staff member with email ${text}.`);
    return rows[0];
  }
  const { rows } = await sql.query<StaffRef & { email: string }>(`${select.replace('role', 'role, email')} ORDER BY name`);
  const exact = rows.filter((s) => foldScript(s.name) === q);
  const byFirst = rows.filter((s) => foldScript(s.name).split(' ')[0] === q || foldScript(s.email).split('@')[0] === q);
  const byPrefix = rows.filter((s) => foldScript(s.name).startsWith(q));
  const hits = exact.length ? exact : byFirst.length ? byFirst : byPrefix;
  if (hits.length === 1) return { id: hits[0]!.id, name: hits[0]!.name, role: hits[0]!.role };
  if (hits.length === 0) throw new NotFoundError(`No active staff member called "${text}". Staff: ${rows.map((s) => s.name).join(', ')}.`);
  throw new ToolInputError(`"${text}" could be ${hits.map((s) => s.name).join(' or ')}: use the full name or email.`);
}
