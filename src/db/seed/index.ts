import { createRng } from '../../core/random.ts';
import { DatabaseError, NotFoundError } from '../../errors.ts';
import type { Database, Sql } from '../database.ts';
import { withSystem } from '../tenant.ts';
import { DAY_MS } from './context.ts';
import { BulkInserter, type SeedTable } from './insert.ts';
import { LeadFactory, type LeadBundle } from './leads.ts';
import { loadSeedPacks, type SeedPack } from './packs.ts';
import { buildStaticRows, type StaticRows } from './static.ts';
import { clinicVertical } from './vertical-clinic.ts';
import { realtyVertical } from './vertical-realty.ts';

export { loadSeedPacks, parseSeedPack, SEEDS_DIR, type SeedPack } from './packs.ts';

export const LEADS_PER_TENANT_AT_SCALE_1 = 500;
const LEADS_PER_BATCH = 2_000;
/**
 * Above this many leads, per-row foreign-key triggers are skipped while
 * inserting (about 40% faster on the embedded database) and the references
 * are checked once at the end instead. Smaller seeds, the default demo and
 * the tests among them, keep the per-row checks.
 */
const DEFER_REFERENCE_CHECKS_ABOVE = 5_000;

export interface SeedOptions {
  /** Multiplies the number of generated leads (500 per tenant at 1). */
  scale?: number;
  /** Every generated time is relative to this; defaults to today's UTC midnight. Same anchor → same rows. */
  anchor?: Date;
  /** Tenant slugs to seed; defaults to every pack in db/seeds. */
  tenants?: string[];
  /** Delete an existing tenant of the same slug (and, by cascade, all its rows) and seed it again. */
  reset?: boolean;
  log?: (msg: string) => void;
  /** Where the packs are; tests point this elsewhere. */
  packsDir?: string;
}

export interface TenantSeedReport {
  slug: string;
  tenantId: string;
  status: 'seeded' | 'skipped';
  /** Why it was skipped, or that an existing tenant was replaced. */
  note?: string;
  counts: Partial<Record<SeedTable, number>>;
  elapsedMs: number;
}

export interface SeedReport {
  anchor: string;
  scale: number;
  tenants: TenantSeedReport[];
  elapsedMs: number;
}

export function defaultAnchor(now = new Date()): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

/**
 * Creates the demo tenants from db/seeds/*.json with generated leads and
 * their histories. Deterministic: the generator is seeded from the tenant
 * slug and every time is relative to `anchor`, so the same anchor and scale
 * give the same rows, ids included. Each tenant is seeded in one transaction
 * as the connecting user (seeding crosses tenants by design).
 */
export async function seedDemo(db: Database, opts: SeedOptions = {}): Promise<SeedReport> {
  const began = Date.now();
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`seedDemo: scale must be a positive number (got ${scale})`);
  const anchor = opts.anchor ?? defaultAnchor();
  if (Number.isNaN(anchor.getTime())) throw new RangeError('seedDemo: anchor is not a valid date');
  const log = opts.log ?? (() => undefined);
  const packs = loadSeedPacks(opts.packsDir);
  const slugs = opts.tenants ?? [...packs.keys()];
  for (const slug of slugs) {
    if (!packs.has(slug)) throw new NotFoundError(`No seed pack for tenant "${slug}". Available: ${[...packs.keys()].join(', ')}.`, { slug });
  }

  const tenants: TenantSeedReport[] = [];
  for (const slug of slugs) {
    const pack = packs.get(slug)!;
    const report = await withSystem(db, (sql) => seedTenant(sql, pack, anchor.getTime(), scale, opts.reset ?? false, log));
    log(
      report.status === 'skipped'
        ? `${slug}: skipped (${report.note})`
        : `${slug}: seeded ${report.counts.leads ?? 0} leads, ${report.counts.activities ?? 0} activities in ${report.elapsedMs} ms`,
    );
    tenants.push(report);
  }
  return { anchor: anchor.toISOString(), scale, tenants, elapsedMs: Date.now() - began };
}

const STATIC_ORDER: Array<keyof StaticRows & SeedTable> = [
  'tenants',
  'pipeline_stages',
  'staff_users',
  'channel_accounts',
  'channel_identities',
  'catalogue_items',
  'listings',
  'playbook_entries',
  'knowledge_chunks',
  'followup_rules',
];

async function seedTenant(sql: Sql, pack: SeedPack, anchorMs: number, scale: number, reset: boolean, log: (msg: string) => void): Promise<TenantSeedReport> {
  const began = Date.now();
  const slug = pack.tenant.slug;
  const existing = await sql.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]);
  let note: string | undefined;
  if (existing.rows[0]) {
    if (!reset) {
      return { slug, tenantId: existing.rows[0].id, status: 'skipped', note: 'tenant already exists; pass reset to replace it', counts: {}, elapsedMs: Date.now() - began };
    }
    log(`${slug}: deleting the existing tenant`);
    await sql.query('DELETE FROM tenants WHERE slug = $1', [slug]);
    note = 'replaced the existing tenant';
  }

  const root = createRng(`closer-demo:${slug}`);
  const { rows, ctx } = buildStaticRows(pack, root, anchorMs);
  const inserter = new BulkInserter(sql);
  for (const table of STATIC_ORDER) await inserter.insert(table, rows[table]);

  const vertical = pack.tenant.vertical === 'clinic' ? clinicVertical : realtyVertical;
  const factory = new LeadFactory(ctx, vertical, root.fork('leads'), root.fork('scenario'));
  const total = Math.max(pack.scenario.length, Math.round(LEADS_PER_TENANT_AT_SCALE_1 * scale));
  log(`${slug}: generating ${total} leads`);
  // After the reset's DELETE: its cascades are triggers too.
  const deferred = total > DEFER_REFERENCE_CHECKS_ABOVE && (await skipReferenceTriggers(sql));

  // Batches keep memory flat at large scales; parents go in before children.
  let batch: LeadBundle[] = [];
  const flush = async () => {
    await inserter.insert('leads', batch.map((b) => b.lead));
    await inserter.insert('channel_identities', batch.flatMap((b) => (b.identity ? [b.identity] : [])));
    await inserter.insert('buyer_requests', batch.flatMap((b) => (b.buyerRequest ? [b.buyerRequest] : [])));
    await inserter.insert('deals', batch.flatMap((b) => b.deals));
    await inserter.insert('activities', batch.flatMap((b) => b.activities));
    await inserter.insert('tasks', batch.flatMap((b) => b.tasks));
    batch = [];
  };
  for (const s of pack.scenario) batch.push(factory.scenario(s));
  for (let i = pack.scenario.length; i < total; i++) {
    batch.push(factory.next());
    if (batch.length >= LEADS_PER_BATCH) {
      await flush();
      if ((i + 1) % 20_000 < LEADS_PER_BATCH) log(`${slug}: ${i + 1}/${total} leads`);
    }
  }
  await flush();
  if (deferred) {
    await sql.query('SET LOCAL session_replication_role = DEFAULT');
    await checkReferences(sql, ctx.tenantId);
    // What the skipped triggers would have kept: lead facts and the name dictionary (migrations 0020, 0021).
    await sql.query('SELECT closer_rebuild_lead_facts($1), closer_rebuild_name_terms($1)', [ctx.tenantId]);
  }

  return { slug, tenantId: ctx.tenantId, status: 'seeded', ...(note ? { note } : {}), counts: inserter.counts, elapsedMs: Date.now() - began };
}

/** Turns off trigger-based checks for the rest of the transaction, where the user may (a superuser, as with PGlite). */
async function skipReferenceTriggers(sql: Sql): Promise<boolean> {
  await sql.query('SAVEPOINT closer_seed_triggers');
  try {
    await sql.query('SET LOCAL session_replication_role = replica');
    await sql.query('RELEASE SAVEPOINT closer_seed_triggers');
    return true;
  } catch {
    await sql.query('ROLLBACK TO SAVEPOINT closer_seed_triggers');
    return false;
  }
}

// The generated references the skipped triggers would have checked: child column → parent table.
const REFERENCES: Array<[table: string, column: string, parent: string]> = [
  ['leads', 'owner_id', 'staff_users'],
  ['channel_identities', 'lead_id', 'leads'],
  ['buyer_requests', 'lead_id', 'leads'],
  ['deals', 'lead_id', 'leads'],
  ['deals', 'owner_id', 'staff_users'],
  ['activities', 'lead_id', 'leads'],
  ['activities', 'staff_user_id', 'staff_users'],
  ['tasks', 'lead_id', 'leads'],
  ['tasks', 'assignee_id', 'staff_users'],
];

async function checkReferences(sql: Sql, tenantId: string): Promise<void> {
  for (const [table, column, parent] of REFERENCES) {
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} c
        WHERE c.tenant_id = $1 AND c.${column} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE p.id = c.${column} AND p.tenant_id = $1)`,
      [tenantId],
    );
    if ((rows[0]?.n ?? 0) > 0) throw new DatabaseError(`Seeding generated ${rows[0]!.n} ${table}.${column} values with no ${parent} row; this is a bug in src/db/seed.`);
  }
}
