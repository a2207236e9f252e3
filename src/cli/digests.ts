import { DateTime } from 'luxon';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { partToText } from '../core/messages/types.ts';
import { NotFoundError } from '../errors.ts';
import { withCliDatabase } from './database.ts';

/**
 * `closer digest` prints (or, with --send, queues) a person's morning digest;
 * `closer anomalies` runs a tenant's daily checks and prints every finding,
 * including why the quiet ones did not fire. Both read through the same code
 * the scheduler runs; `anomalies` never writes or alerts.
 */
export function registerDigests(program: Command): void {
  program
    .command('digest')
    .description("Print a staff member's morning digest (or \"nothing to say\"); --send queues it through the real pipeline, once per person per day.")
    .requiredOption('--tenant <slug>', 'tenant slug, e.g. demo-clinic or demo-realty')
    .option('--as <who>', 'rep | manager | a staff email', 'manager')
    .option('--date <YYYY-MM-DD>', "the person's local day (default: today in their time zone)", isoDate)
    .option('--send', 'write the digest as an outbound message (recorded in `digests`) for delivery')
    .action(async (opts: { tenant: string; as: string; date?: string; send?: boolean }) => {
      const cfg = loadConfig();
      const log = createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn');
      const [{ withSystem, withTenant }, { getTenantBySlug }, { resolvePerson }, { composeDigest }, { renderDigest }, run] = await Promise.all([
        import('../db/tenant.ts'),
        import('../core/tenants.ts'),
        import('../core/actors.ts'),
        import('../core/digests/compose.ts'),
        import('../core/digests/render.ts'),
        import('../core/digests/run.ts'),
      ]);
      await withCliDatabase(cfg, log, async (db) => {
        const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, opts.tenant));
        const now = new Date();
        const r = await withTenant(db, tenant.id, async (sql) => {
          const person = await resolvePerson(sql, tenant, opts.as);
          if (person.kind !== 'staff') throw new NotFoundError('Digests are for staff: use --as rep, --as manager or a staff email.');
          const staff = await run.staffForDigest(sql, person.id);
          if (staff.role === 'admin') throw new NotFoundError(`${staff.email} is an admin: digests are for reps and managers (use --as rep, --as manager or their email).`);
          const localDate = opts.date ?? DateTime.fromJSDate(now, { zone: staff.timezone || tenant.timezone }).toISODate()!;
          const locale = run.digestLocale(tenant, staff);
          if (opts.send) return { staff, localDate, sent: await run.deliverDigest(sql, tenant, staff, localDate, now, { retryFailed: true }) };
          const digest = await composeDigest(sql, tenant, staff, localDate, locale, now);
          return { staff, localDate, text: digest ? renderDigest(digest, tenant, staff.name, locale).parts.map(partToText).join('\n\n') : null };
        });
        const who = `${r.staff.name} <${r.staff.email}>, ${r.staff.role}, ${r.localDate} (${r.staff.timezone})`;
        if (!('sent' in r) || !r.sent) {
          process.stdout.write(r.text ? `${r.text}\n` : `Nothing to say for ${who}: ${r.staff.role === 'rep' ? 'no open hot leads, no tasks due and no follow-ups today' : 'no leads, won deals or SLA breaches yesterday'}. No digest would be sent.\n`);
          return;
        }
        const s = r.sent;
        if (s.status === 'sent') {
          const where = await deliver(cfg, tenant.id, s.messageId);
          process.stdout.write(`Digest for ${who} queued as message ${s.messageId}; ${where}\n`);
        } else if (s.status === 'skipped') process.stdout.write(`Nothing to say for ${who} (${s.reason}); recorded as skipped.\n`);
        else if (s.status === 'failed') process.stdout.write(`Could not send the digest for ${who}: ${r.staff.email} has no conversation with Closer yet (open the local chat or connect Slack first).\n`);
        else process.stdout.write(`The digest for ${who} was already handled (status ${s.existing}); it is sent at most once per day.\n`);
      });
    });

  program
    .command('anomalies')
    .description("Run a tenant's daily anomaly checks (lead volume total and per channel, reply rate, conversion, response time) and print what they found and why nothing fired. Read-only: the scheduler sends the alerts.")
    .requiredOption('--tenant <slug>', 'tenant slug, e.g. demo-clinic or demo-realty')
    .option('--date <YYYY-MM-DD>', "the last complete day to check (default: the tenant's yesterday)", isoDate)
    .option('--json', 'print JSON')
    .action(async (opts: { tenant: string; date?: string; json?: boolean }) => {
      const cfg = loadConfig();
      const log = createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn');
      const [{ withSystem, withTenant }, { getTenantBySlug }, { runAnomalyChecks, anomalySettings }, { subject }, { formatValue }, { metricDef }] = await Promise.all([
        import('../db/tenant.ts'),
        import('../core/tenants.ts'),
        import('../core/anomalies/check.ts'),
        import('../core/anomalies/render.ts'),
        import('../core/bi/format.ts'),
        import('../core/bi/layer.ts'),
      ]);
      await withCliDatabase(cfg, log, async (db) => {
        const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, opts.tenant));
        const now = new Date();
        const date = opts.date ?? DateTime.fromJSDate(now, { zone: tenant.timezone }).minus({ days: 1 }).toISODate()!;
        const results = await withTenant(db, tenant.id, (sql) => runAnomalyChecks(sql, tenant, date, now));
        if (opts.json) {
          process.stdout.write(JSON.stringify({ tenant: tenant.slug, date, settings: anomalySettings(tenant), results }, null, 2) + '\n');
          return;
        }
        process.stdout.write(`Anomaly checks for ${tenant.slug} through ${date} (last 7 days vs the 28 before, ${tenant.timezone}):\n`);
        for (const r of results) {
          const f = r.finding;
          const kind = metricDef(r.metric)!.kind;
          // Counts are over the whole run, so keep one decimal of an expected sum; rates and minutes format as people read them.
          const n = (x: number | undefined) => (x === undefined ? '?' : kind === 'count' ? String(Math.round(x * 10) / 10) : formatValue(x, kind, tenant.currency, 'en'));
          const what = `${subject(r, 'en')}`.padEnd(32);
          if (f.status === 'anomaly') process.stdout.write(`  ALERT   ${what} ${f.direction} ${Math.round(f.change * 100)}%: ${n(f.actual)} over ${f.days} days since ${f.since}, expected ${n(f.low)}–${n(f.high)} (usual ${n(f.expected)})\n`);
          else if (f.status === 'normal') process.stdout.write(`  normal  ${what} ${n(f.actual)} over ${f.days} days, inside ${n(f.low)}–${n(f.high)}${f.why === 'moved_with_total' ? ' — moved with the total (its share held), not on its own' : ''}\n`);
          else process.stdout.write(`  skipped ${what} ${f.why.replaceAll('_', ' ')}${f.expected !== undefined ? ` (usual ${n(f.expected)}, minimum ${anomalySettings(tenant).anomaly_min_count})` : ''}\n`);
        }
        if (!results.some((r) => r.finding.status === 'anomaly')) process.stdout.write('Nothing unusual: no alert would be sent.\n');
      });
    });
}

/** With REDIS_URL the delivery job is added now; otherwise the running server's reconciler picks the pending message up. */
async function deliver(cfg: Config, tenantId: string, messageId: string): Promise<string> {
  if (!cfg.redisUrl) return 'the running server (`closer start` / `closer worker`) delivers it within a minute.';
  const [{ createQueues, enqueueDelivery }, { redisOptionsFromUrl }] = await Promise.all([import('../jobs/queues.ts'), import('../redis.ts')]);
  const queues = createQueues(redisOptionsFromUrl(cfg.redisUrl), cfg.redisPrefix);
  try {
    await enqueueDelivery(queues, { tenantId, messageId });
  } finally {
    await queues.close();
  }
  return 'delivery job added.';
}

function isoDate(v: string): string {
  const d = DateTime.fromISO(v);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || !d.isValid) throw new InvalidArgumentError('use a date like 2026-11-23');
  return v;
}
