import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { withCliDatabase } from './database.ts';

/** `closer usage --tenant <slug> [--month YYYY-MM] [--json]`: the month's LLM calls, tokens, cost, failures and fallbacks. */
export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description("A tenant's LLM usage for a month: model calls, tokens, estimated cost, failures by kind, rules-mode fallbacks.")
    .requiredOption('--tenant <slug>', 'tenant slug, e.g. demo-clinic')
    .option('--month <YYYY-MM>', 'calendar month (UTC); default: this month')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { tenant: string; month?: string; json?: boolean }) => {
      const cfg = loadConfig();
      const { withSystem, withTenant } = await import('../db/tenant.ts');
      const { getTenantBySlug } = await import('../core/tenants.ts');
      const { monthUsage, monthOf, monthlyBudgetUsd } = await import('../core/usage.ts');
      const log = createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn');
      // The embedded database belongs to one process: this fails with a clear message while `closer start` runs.
      await withCliDatabase(cfg, log, async (db) => {
        const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, opts.tenant));
        const month = opts.month ?? monthOf(new Date());
        const u = await withTenant(db, tenant.id, (sql) => monthUsage(sql, month));
        const budget = monthlyBudgetUsd(tenant, cfg.llm.monthlyBudgetUsd);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ tenant: tenant.slug, provider: cfg.llm.provider, budgetUsd: budget ?? null, ...u }, null, 2) + '\n');
          return;
        }
        const lines = [
          `${tenant.slug} — LLM usage ${month} (configured provider: ${cfg.llm.provider}${cfg.llm.provider === 'none' ? ', rules mode' : ''})`,
          `  model calls        ${u.calls}`,
          `  tokens             ${u.promptTokens} prompt + ${u.completionTokens} completion`,
          `  estimated cost     $${u.costUsd.toFixed(4)}${budget !== undefined ? ` of $${budget.toFixed(2)} budget` : ' (no budget set)'}`,
          `  avg latency        ${u.avgLatencyMs} ms`,
          `  failed calls       error ${u.failures.error}, timeout ${u.failures.timeout}, rate-limited ${u.failures.rate_limited}`,
          `  rules fallbacks    error ${u.fallbacks.error}, timeout ${u.fallbacks.timeout}, rate-limited ${u.fallbacks.rate_limited}, over budget ${u.fallbacks.budget}, conversation cap ${u.fallbacks.conversation_cap}`,
          ...u.byModel.map((m) => `  ${m.provider}/${m.model}: ${m.calls} calls, $${m.costUsd.toFixed(4)}`),
        ];
        process.stdout.write(lines.join('\n') + '\n');
      });
    });
}
