import type { ToolOutcome } from '../tools/run.ts';

/**
 * Whether a tool outcome means the assistant could not help the customer:
 * a question nothing in the tenant's catalogue, listings or knowledge
 * answers. Both agents report it (TurnOutput.unhandled) so the turn worker
 * can hand a conversation that keeps failing to a person (see
 * src/core/handoff/auto.ts), instead of answering "I don't know" forever.
 */
export function couldNotHelp(outcome: ToolOutcome): boolean {
  if (!outcome.ok) return false;
  if (outcome.tool.name !== 'answer_question') return false;
  const data = outcome.result.data as { kind?: unknown } | undefined;
  return data?.kind === 'unknown';
}
