import type { Sql } from '../db/database.ts';

/** How long a Confirm button stays valid. */
export const CONFIRMATION_TTL_MS = 24 * 3600_000;

export interface PendingConfirmation {
  id: string;
  staffUserId: string | null;
  leadId: string | null;
  conversationId: string | null;
  tool: string;
  args: Record<string, unknown>;
  expiresAt: Date;
  usedAt: Date | null;
  outcome: 'confirmed' | 'cancelled' | null;
}

interface Row {
  id: string;
  staff_user_id: string | null;
  lead_id: string | null;
  conversation_id: string | null;
  tool: string;
  args: Record<string, unknown>;
  expires_at: Date;
  used_at: Date | null;
  outcome: 'confirmed' | 'cancelled' | null;
}

const toPending = (r: Row): PendingConfirmation => ({
  id: r.id,
  staffUserId: r.staff_user_id,
  leadId: r.lead_id,
  conversationId: r.conversation_id,
  tool: r.tool,
  args: r.args,
  expiresAt: new Date(r.expires_at),
  usedAt: r.used_at ? new Date(r.used_at) : null,
  outcome: r.outcome,
});

const COLUMNS = 'id, staff_user_id, lead_id, conversation_id, tool, args, expires_at, used_at, outcome';

/** Stores a proposed write for the person who asked; the id is all a button carries. Runs inside withTenant. */
export async function createPendingConfirmation(
  sql: Sql,
  p: { staffUserId: string | null; leadId: string | null; conversationId: string | undefined; tool: string; args: Record<string, unknown>; now: Date },
): Promise<string> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO pending_confirmations (tenant_id, staff_user_id, lead_id, conversation_id, tool, args, created_at, expires_at)
     VALUES (closer_current_tenant(), $1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [p.staffUserId, p.leadId, p.conversationId ?? null, p.tool, JSON.stringify(p.args), p.now, new Date(p.now.getTime() + CONFIRMATION_TTL_MS)],
  );
  return rows[0]!.id;
}

/**
 * Spends a confirmation for its asker: one conditional UPDATE, so of two
 * concurrent presses exactly one gets the row. Undefined when it is not
 * this person's, already used, expired or unknown (read() says which).
 */
export async function takePendingConfirmation(
  sql: Sql,
  id: string,
  asker: { staffUserId: string | null; leadId: string | null },
  outcome: 'confirmed' | 'cancelled',
  now: Date,
): Promise<PendingConfirmation | undefined> {
  const { rows } = await sql.query<Row>(
    `UPDATE pending_confirmations SET used_at = $2, outcome = $3
     WHERE id = $1 AND used_at IS NULL AND expires_at > $2
       AND (staff_user_id = $4::uuid OR ($4::uuid IS NULL AND staff_user_id IS NULL AND lead_id = $5::uuid))
     RETURNING ${COLUMNS}`,
    [id, now, outcome, asker.staffUserId, asker.leadId],
  );
  return rows[0] ? toPending(rows[0]) : undefined;
}

export async function readPendingConfirmation(sql: Sql, id: string): Promise<PendingConfirmation | undefined> {
  const { rows } = await sql.query<Row>(`SELECT ${COLUMNS} FROM pending_confirmations WHERE id = $1`, [id]);
  return rows[0] ? toPending(rows[0]) : undefined;
}
