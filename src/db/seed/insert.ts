import type { Sql } from '../database.ts';
import type { Row } from './context.ts';

// Tables the seed writes; the names are spliced into SQL, so only these are accepted.
export const SEED_TABLES = [
  'tenants',
  'pipeline_stages',
  'staff_users',
  'channel_accounts',
  'catalogue_items',
  'listings',
  'playbook_entries',
  'knowledge_chunks',
  'followup_rules',
  'leads',
  'channel_identities',
  'buyer_requests',
  'deals',
  'activities',
  'tasks',
] as const;
export type SeedTable = (typeof SEED_TABLES)[number];

/**
 * Inserts many rows per statement: the rows travel as one JSON parameter and
 * jsonb_populate_recordset turns them into typed records (text → vector,
 * arrays → text[], ISO strings → timestamptz). Only the columns present in
 * the first row are written, so column defaults still apply to the rest.
 * Every row of one call must have the same keys.
 */
export class BulkInserter {
  readonly counts: Record<string, number> = {};

  constructor(
    private readonly sql: Sql,
    private readonly rowsPerStatement = 5_000,
  ) {}

  async insert(table: SeedTable, rows: readonly Row[]): Promise<void> {
    if (!SEED_TABLES.includes(table)) throw new Error(`BulkInserter: unexpected table ${table}`);
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]!).map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
    const text = `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`;
    for (let i = 0; i < rows.length; i += this.rowsPerStatement) {
      const chunk = rows.slice(i, i + this.rowsPerStatement);
      const result = await this.sql.query(text, [JSON.stringify(chunk)]);
      this.counts[table] = (this.counts[table] ?? 0) + (result.rowCount ?? chunk.length);
    }
  }
}
