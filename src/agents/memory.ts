import type { Sql } from '../db/database.ts';

/**
 * What the model remembers of a conversation: the most recent messages that
 * fit a token budget, plus a rolling summary of what fell out of it (stored
 * in conversations.summary). Tokens are approximated as characters / 3.5 —
 * close enough for English, generous for Thai and Arabic, and it needs no
 * tokenizer download.
 */
export const CHARS_PER_TOKEN = 3.5;
const SUMMARY_MAX_CHARS = 1500;
const WINDOW = 60;

export interface MemoryMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  at: Date;
}

export interface Memory {
  summary: string | null;
  recent: MemoryMessage[];
  /** Messages older than the window that the summary does not cover yet. */
  dropped: MemoryMessage[];
  focusLead: { id: string; name: string } | null;
}

export function approxTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Keeps the newest messages whose total fits `budgetTokens` (oldest first in the result); returns the rest as dropped. */
export function trimToBudget(messages: readonly MemoryMessage[], budgetTokens: number): { kept: MemoryMessage[]; dropped: MemoryMessage[] } {
  let used = 0;
  let cut = messages.length;
  for (let i = messages.length - 1; i >= 0; i--) {
    const cost = approxTokens(messages[i]!.text) + 4;
    if (used + cost > budgetTokens) break;
    used += cost;
    cut = i;
  }
  return { kept: messages.slice(cut), dropped: messages.slice(0, cut) };
}

/**
 * An extractive summary: the previous summary plus one short line per
 * dropped message, keeping the newest lines when it grows too long. It needs
 * no model, so rules mode and a failing provider keep it up to date too.
 */
export function extendSummary(previous: string | null, dropped: readonly MemoryMessage[]): string | null {
  if (dropped.length === 0) return previous;
  const lines = (previous ? previous.split('\n') : []).concat(
    dropped.map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${m.text.replace(/\s+/g, ' ').slice(0, 160)}`),
  );
  let out = lines.join('\n');
  while (out.length > SUMMARY_MAX_CHARS && lines.length > 1) {
    lines.shift();
    out = lines.join('\n');
  }
  return out.slice(-SUMMARY_MAX_CHARS);
}

/** Loads the conversation's memory, excluding this turn's own inbound messages (the agent adds those itself). */
export async function loadMemory(sql: Sql, conversationId: string, excludeIds: readonly string[], budgetTokens: number): Promise<Memory> {
  const conv = (
    await sql.query<{ summary: string | null; state: Record<string, unknown>; focus_lead_id: string | null; focus_name: string | null }>(
      `SELECT c.summary, c.state, c.focus_lead_id, l.display_name AS focus_name
       FROM conversations c LEFT JOIN leads l ON l.id = c.focus_lead_id WHERE c.id = $1`,
      [conversationId],
    )
  ).rows[0];
  const summarisedUntil = typeof conv?.state.memory_summarised_until === 'string' ? new Date(conv.state.memory_summarised_until) : new Date(0);
  const { rows } = await sql.query<{ id: string; direction: 'in' | 'out'; text: string | null; created_at: Date }>(
    `SELECT id, direction, text, created_at FROM messages
     WHERE conversation_id = $1 AND text IS NOT NULL AND created_at > $3
       AND ((direction = 'in' AND status IN ('handled', 'ignored')) OR (direction = 'out' AND status = 'sent'))
       AND NOT (id = ANY($2::uuid[]))
     ORDER BY created_at DESC, id DESC LIMIT ${WINDOW}`,
    [conversationId, excludeIds, summarisedUntil],
  );
  const messages = rows.reverse().map((r) => ({ id: r.id, role: r.direction === 'in' ? ('user' as const) : ('assistant' as const), text: r.text ?? '', at: r.created_at }));
  const { kept, dropped } = trimToBudget(messages, budgetTokens);
  return {
    summary: conv?.summary ?? null,
    recent: kept,
    dropped,
    focusLead: conv?.focus_lead_id && conv.focus_name ? { id: conv.focus_lead_id, name: conv.focus_name } : null,
  };
}

/** Folds messages that fell out of the window into the summary, and remembers how far it got. */
export async function saveSummary(sql: Sql, conversationId: string, memory: Memory): Promise<void> {
  const last = memory.dropped[memory.dropped.length - 1];
  if (!last) return;
  await sql.query(
    `UPDATE conversations SET summary = $2, state = state || jsonb_build_object('memory_summarised_until', $3::text) WHERE id = $1`,
    [conversationId, extendSummary(memory.summary, memory.dropped), last.at.toISOString()],
  );
}
