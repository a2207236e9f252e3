import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/tenant.ts';
import { outbound, type OutboundMessage } from '../../core/messages/types.ts';
import type { TurnInput } from '../types.ts';
import { note } from '../llm/prompt.ts';
import { detectInjection } from './injection.ts';

/**
 * The polite first line for customers, shared by the LLM and the rules agent
 * so both answer an injection attempt the same way: a fixed refusal in the
 * customer's language and an audit_log 'policy_refusal' row saying which
 * pattern matched. Returns undefined when `text` is not an attempt (or the
 * actor is staff: staff may well say "ignore the previous lead").
 */
export async function refuseInjection(db: Database, input: TurnInput, text: string, locale: string): Promise<OutboundMessage | undefined> {
  const { tenant, actor } = input;
  if (actor.role !== 'customer') return undefined;
  const verdict = detectInjection(text);
  if (!verdict) return undefined;
  await withTenant(db, tenant.id, (sql) =>
    sql.query(
      `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, args, result_summary, outcome, conversation_id)
       VALUES ($1, 'customer', $2, 'policy_refusal', $3, $4, 'refused', $5)`,
      [tenant.id, actor.leadId ?? null, JSON.stringify({ kind: verdict.kind, pattern: verdict.pattern }), `injection attempt (${verdict.kind})`, input.conversation.id],
    ),
  );
  return outbound([{ type: 'text', text: note(locale, 'refusal') }]);
}
