import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import type { ImportReport } from '../core/import/import-leads.ts';
import { withCliDatabase } from './database.ts';

/**
 * `closer import leads` and `closer export leads`. They open the database
 * the way `closer seed` does (withCliDatabase): the embedded database belongs
 * to one process, so they take its lock and refuse while `closer start` holds it.
 */

async function withDatabase<T>(fn: (db: import('../db/database.ts').Database) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  return withCliDatabase(cfg, createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn'), fn);
}

async function tenantFor(db: import('../db/database.ts').Database, slug: string) {
  const { withSystem } = await import('../db/tenant.ts');
  const { getTenantBySlug } = await import('../core/tenants.ts');
  return withSystem(db, (sql) => getTenantBySlug(sql, slug));
}

function printReport(r: ImportReport, file: string): void {
  const out: string[] = [];
  out.push(`${r.dryRun ? 'Dry run (nothing was written): ' : ''}${file} → ${r.tenant}: ${r.rows} rows, ${r.created} created, ${r.merged} merged, ${r.rejected} rejected (${r.elapsedMs} ms).`);
  if (r.ignoredColumns.length) out.push(`Ignored columns: ${r.ignoredColumns.join(', ')}`);
  for (const x of r.results) {
    if (x.outcome === 'rejected') out.push(`  line ${x.line}: rejected: ${x.reasons.join('; ')}`);
    else if (x.outcome === 'merged') out.push(`  line ${x.line}: merged into ${x.leadId} (same ${x.matchedBy})${x.filled.length ? `, filled ${x.filled.join(', ')}` : ', nothing new'}`);
    for (const w of x.warnings) out.push(`  line ${x.line}: warning: ${w}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

export function registerLeads(program: Command): void {
  program
    .command('import')
    .description('Import data into a tenant. `closer import leads --help` explains the CSV columns.')
    .command('leads')
    .description(
      'Import leads from a CSV (UTF-8; comma, semicolon or tab separated; headers case-insensitive). Columns: name (or first_name, last_name), phone, email, source, stage, owner_email, budget, locale, consent, notes; clinic: concerns; real estate: cities, districts, property_types, price_max, bedrooms_min; id (from an export). A row matching an existing lead by id, phone or email is merged: only its empty fields are filled. Rows with a bad phone, unknown stage or owner, empty name or bad number are rejected with the reason; the others are imported.',
    )
    .argument('<file>', 'the CSV file')
    .requiredOption('--tenant <slug>', 'tenant slug, e.g. demo-clinic')
    .option('--dry-run', 'do everything in a transaction and roll it back: the report is exact, nothing is written')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { tenant: string; dryRun?: boolean; json?: boolean }) => {
      if (!fs.existsSync(file)) throw new InvalidArgumentError(`no such file: ${file}`);
      const csv = fs.readFileSync(file);
      const { importLeadsCsv } = await import('../core/import/import-leads.ts');
      const report = await withDatabase(async (db) => importLeadsCsv(db, await tenantFor(db, opts.tenant), csv, { dryRun: opts.dryRun }));
      if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else printReport(report, path.basename(file));
    });

  program
    .command('export')
    .description('Export data from a tenant.')
    .command('leads')
    .description('Export every lead of a tenant as CSV (formula-safe, UTF-8 with BOM) or XLSX, in the columns `closer import leads` reads back.')
    .requiredOption('--tenant <slug>', 'tenant slug, e.g. demo-realty')
    .requiredOption('--out <file>', 'where to write the file')
    .option('--format <format>', 'csv or xlsx (default: from the file extension, else csv)')
    .action(async (opts: { tenant: string; out: string; format?: string }) => {
      const format = (opts.format ?? (opts.out.toLowerCase().endsWith('.xlsx') ? 'xlsx' : 'csv')).toLowerCase();
      if (format !== 'csv' && format !== 'xlsx') throw new InvalidArgumentError('--format must be csv or xlsx');
      const { exportLeads, exportToCsv, exportToXlsx } = await import('../core/import/export-leads.ts');
      const { withTenant } = await import('../db/tenant.ts');
      const count = await withDatabase(async (db) => {
        const tenant = await tenantFor(db, opts.tenant);
        const data = await withTenant(db, tenant.id, (sql) => exportLeads(sql));
        fs.writeFileSync(opts.out, format === 'xlsx' ? await exportToXlsx(data, tenant) : exportToCsv(data));
        return data.rows.length;
      });
      process.stdout.write(`Wrote ${count} leads of ${opts.tenant} to ${opts.out} (${format}).\n`);
    });
}
