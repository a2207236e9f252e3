import type { Sql } from '../../db/database.ts';
import type { Actor } from '../actors.ts';
import { MetricQuerySchema, type MetricQuery } from './query.ts';

/**
 * The last structured question answered in a conversation, kept as an audit
 * entry (action `bi_answered`, indexed by migration 0012): it records what
 * was answered, and follow-ups ("compare with the month before", "send me
 * this every Monday") start from that query, not from re-reading words.
 */
const ACTION = 'bi_answered';

export async function rememberQuery(sql: Sql, r: { tenantId: string; actor: Actor; conversationId: string; query: MetricQuery; question: string | undefined }): Promise<void> {
  await sql.query(
    `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, tool, args, result_summary, outcome, conversation_id)
     VALUES ($1, $2, $3, '${ACTION}', 'query_metrics', $4, $5, 'ok', $6)`,
    [r.tenantId, r.actor.role, r.actor.staffUserId ?? null, JSON.stringify({ query: r.query, question: r.question ?? null }), r.question?.slice(0, 200) ?? r.query.metric, r.conversationId],
  );
}

export async function lastQuery(sql: Sql, conversationId: string): Promise<{ query: MetricQuery; question: string | null } | undefined> {
  const { rows } = await sql.query<{ args: { query?: unknown; question?: unknown } | null }>(
    `SELECT args FROM audit_log WHERE conversation_id = $1 AND action = '${ACTION}' ORDER BY id DESC LIMIT 1`,
    [conversationId],
  );
  const q = MetricQuerySchema.safeParse(rows[0]?.args?.query);
  if (!q.success) return undefined;
  const question = rows[0]?.args?.question;
  return { query: q.data, question: typeof question === 'string' ? question : null };
}
