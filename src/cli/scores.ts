import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { withCliDatabase } from './database.ts';

/**
 * `closer scores recompute --tenant <slug> [--all]`: re-scores a tenant's
 * stale leads (inputs changed since their score), or every lead with --all
 * (after changing scoring weights). Prints what it did as JSON.
 */
export function registerScores(program: Command): void {
  const scores = program.command('scores').description('Lead scores: recompute stale ones, or all of a tenant.');
  scores
    .command('recompute')
    .description('Recompute stale lead scores of a tenant (inputs changed, or scored by an older model); --all re-scores every lead.')
    .requiredOption('--tenant <slug>', 'tenant slug, e.g. demo-clinic or demo-realty')
    .option('--all', 'every lead, not only stale ones (e.g. after changing settings.scoring_weights)')
    .action(async (opts: { tenant: string; all?: boolean }) => {
      const cfg = loadConfig();
      const { withSystem } = await import('../db/tenant.ts');
      const { getTenantBySlug } = await import('../core/tenants.ts');
      const { recomputeAllScores } = await import('../core/scoring/recompute.ts');
      const log = createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn');
      // The embedded database belongs to one process: this fails with a clear message while `closer start` runs.
      await withCliDatabase(cfg, log, async (db) => {
        const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, opts.tenant));
        const now = new Date();
        const r = await recomputeAllScores(db, tenant, {
          now,
          onlyStale: !opts.all,
          onProgress: (n) => process.stderr.write(`${tenant.slug}: ${n} leads scored\n`),
        });
        process.stdout.write(JSON.stringify({ tenant: tenant.slug, mode: opts.all ? 'all' : 'stale', ...r, at: now.toISOString() }, null, 2) + '\n');
      });
    });
}
