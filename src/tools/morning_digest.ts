import { DateTime } from 'luxon';
import { z } from 'zod';
import { composeDigest, type Digest } from '../core/digests/compose.ts';
import { renderDigest } from '../core/digests/render.ts';
import { digestLocale, staffForDigest } from '../core/digests/run.ts';
import { outbound } from '../core/messages/types.ts';
import { PolicyRefusal } from '../errors.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  date: z.iso.date().optional().describe("the day, YYYY-MM-DD, in the asker's time zone (default today)"),
});

interface Result {
  digest: Digest | null;
  name: string;
  localDate: string;
}

/**
 * The asker's morning digest on demand: the same composition the 08:30
 * message uses, read-only (asking does not count as the day's digest).
 */
export const morningDigestTool = defineTool({
  name: 'morning_digest',
  description: "The asker's morning digest: for a rep their open hot leads, tasks due today or overdue and today's follow-ups; for a manager yesterday's key numbers (new leads, reply rate, first response, deals won, revenue, SLA breaches) against the day before.",
  roles: ['rep', 'manager'],
  input: Input,
  async run(ctx, args) {
    if (!ctx.actor.staffUserId) throw new PolicyRefusal('Digests are for staff.');
    const staff = await staffForDigest(ctx.sql, ctx.actor.staffUserId);
    const localDate = args.date ?? DateTime.fromJSDate(ctx.now, { zone: staff.timezone || ctx.tenant.timezone }).toISODate()!;
    const digest = await composeDigest(ctx.sql, ctx.tenant, staff, localDate, digestLocale(ctx.tenant, staff), ctx.now);
    return { data: { digest, name: staff.name, localDate } satisfies Result, summary: digest ? `${digest.kind} digest for ${localDate}` : `nothing to say for ${localDate}` };
  },
  present(result, ctx) {
    const r: Result = result.data;
    if (!r.digest) return outbound([{ type: 'text', text: ctx.t(ctx.actor.role === 'manager' ? 'jobs.digest.nothing_manager' : 'jobs.digest.nothing_rep') }]);
    return renderDigest(r.digest, ctx.tenant, r.name, ctx.locale);
  },
});
