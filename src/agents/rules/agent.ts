import type { Database } from '../../db/database.ts';
import { ButtonPayloadSchema, outbound, type OutboundMessage } from '../../core/messages/types.ts';
import { invokeTool } from '../../tools/run.ts';
import { TOOLS } from '../../tools/registry.ts';
import { AmbiguousLeadError } from '../../core/leads/resolve.ts';
import { detectLocale, normaliseLocale, translator, type Translate } from '../i18n.ts';
import type { Agent, TurnInput, TurnOutput } from '../types.ts';
import { matchIntent } from './patterns.ts';
import { refuseInjection } from '../guardrails/refuse.ts';
import { couldNotHelp } from '../unhandled.ts';

/**
 * The agent that needs no LLM: button payloads name a tool directly, slash
 * commands and multilingual phrase patterns pick a tool and its arguments,
 * and replies come from templates. Anything it does not understand gets a
 * short localised help, never silence.
 */
export class RulesAgent implements Agent {
  constructor(private readonly db: Database) {}

  async run(input: TurnInput): Promise<TurnOutput> {
    const { tenant, actor } = input;
    const text = input.messages.map((m) => m.text ?? '').filter(Boolean).join('\n');
    const lastPayload = [...input.messages].reverse().find((m) => m.payload)?.payload;
    // With a button press the text is only the button's label (maybe a name in another script): it says nothing of the language.
    const written = lastPayload ? undefined : detectLocale(text);
    // Answer in the language the person wrote in when the tenant speaks it; otherwise in theirs.
    // A button press has no text: keep answering in the language the conversation was last in.
    const previous = typeof input.conversation.state.locale === 'string' ? input.conversation.state.locale : undefined;
    const locale = normaliseLocale(written && (tenant.locales.includes(written) || written === 'en') ? written : (previous ?? actor.locale));
    const t = translator(locale);
    const base = { mode: 'rules' as const, locale };

    let call: { name: string; args: Record<string, unknown> } | undefined;
    const payload = lastPayload ? ButtonPayloadSchema.safeParse(lastPayload) : undefined;
    if (payload?.success) {
      call = { name: payload.data.action, args: payload.data.args };
    } else {
      // Before routing: otherwise an injection attempt reads as a question for answer_question.
      const refusal = await refuseInjection(this.db, input, text, locale);
      if (refusal) return { ...base, replies: [refusal], toolCalls: [] };
      // A burst is answered as one turn; its last line carries the request.
      const lastLine = text.split('\n').filter((l) => l.trim()).pop() ?? '';
      const match = matchIntent(lastLine);
      // A customer whose words look like a staff request ("tell me about…") is still just asking us something.
      const staffOnly = match !== undefined && TOOLS.some((x) => x.name === match.intent && !x.roles.includes('customer'));
      if ((!match || staffOnly) && actor.role === 'customer' && TOOLS.some((x) => x.name === 'answer_question')) {
        // Customers ask free-form questions: try to answer from the tenant's knowledge before falling back to help.
        call = { name: 'answer_question', args: { question: text.slice(0, 1000) } };
      } else if (!match || match.intent === 'help' || match.intent === 'greeting') {
        return { ...base, replies: [this.help(input, t, match === undefined)], toolCalls: [] };
      } else {
        call = { name: match.intent, args: match.args };
      }
    }

    const outcome = await invokeTool(this.db, tenant, actor, call.name, call.args, {
      now: input.now,
      conversationId: input.conversation.id,
      focusLeadId: input.conversation.focus_lead_id,
    });
    const toolCalls = [{ name: call.name, args: outcome.args }];
    if (!outcome.ok && outcome.error instanceof AmbiguousLeadError) {
      // Same tool, same arguments, with the chosen lead: one press finishes the request.
      const { lead: _lead, ...rest } = (outcome.args ?? {}) as Record<string, unknown>;
      const args = Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      return {
        ...base,
        toolCalls,
        replies: [
          outbound([
            { type: 'text', text: t('lookup.choose', { query: outcome.error.reference }) },
            {
              type: 'buttons',
              buttons: outcome.error.candidates.map((c) => ({ label: c.displayName.slice(0, 80), payload: { action: call.name, args: { ...args, lead_id: c.id } }, style: 'default' as const })),
            },
          ]),
        ],
      };
    }
    if (!outcome.ok) {
      const key = outcome.error.code === 'POLICY' ? 'errors.refused' : 'errors.bad_input';
      // A refusal with its own translated sentence (ownership, someone else's confirmation) says it in the reader's language.
      const i18n = outcome.error.context.i18n;
      const reason = typeof i18n === 'string' ? t(i18n, outcome.error.context) : outcome.error.message;
      return { ...base, replies: [outbound([{ type: 'text', text: t(key, { reason }) }])], toolCalls };
    }
    const reply = outcome.tool.present(outcome.result, { tenant, actor, locale, t, now: input.now });
    return { ...base, replies: [reply], toolCalls, focusLeadId: outcome.result.focusLeadId, unhandled: couldNotHelp(outcome) };
  }

  private help(input: TurnInput, t: Translate, unknown: boolean): OutboundMessage {
    const staff = input.actor.role !== 'customer';
    const vars = { name: input.actor.name, tenant: input.tenant.name };
    // Never silence: what was not understood still gets the short list of what can be asked.
    const lines = [
      t(unknown ? (staff ? 'unknown.staff' : 'unknown.customer') : staff ? 'help.staff' : 'help.customer', vars),
      t(staff ? 'help.staff_capabilities' : 'help.customer_capabilities'),
    ];
    // Capabilities that are not built in this version are named plainly (empty when everything listed works).
    const notYet = t('help.not_yet');
    if (staff && notYet) lines.push(notYet);
    return outbound([{ type: 'text', text: lines.join('\n\n') }]);
  }
}
