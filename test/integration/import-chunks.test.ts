import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { importParsedLeads, type ImportReport } from '../../src/core/import/import-leads.ts';
import { parseLeadsCsv } from '../../src/core/import/csv.ts';
import { TEST_ANCHOR } from '../helpers/anchor.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * The importer writes in chunks (issue #11); its report must be the one
 * row-at-a-time handling gives, wherever the chunk boundaries fall: a row
 * matching a lead an earlier row created (same chunk or not), a merge that
 * fills a phone a later row then matches, bad rows, existing leads.
 */
let db: Database;
let realty: Tenant;
beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  const id = (await db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id;
  realty = await withTenant(db, id, (sql) => getTenantBySlug(sql, 'demo-realty'));
});
afterAll(async () => {
  await db.close();
});

class Rollback extends Error {
  constructor(readonly report: ImportReport) {
    super('rollback');
  }
}

/** The report with lead ids replaced by the line that created the lead (or "existing"), so runs compare. */
async function run(csv: string, chunk: number) {
  const report = await withTenant(db, realty.id, async (sql) => {
    const existingPhone = (await sql.query<{ phone: string }>('SELECT phone FROM leads WHERE phone IS NOT NULL AND email IS NULL ORDER BY id LIMIT 1')).rows[0]!.phone;
    const text = csv.replaceAll('{EXISTING}', existingPhone);
    throw new Rollback(await importParsedLeads(sql, realty, parseLeadsCsv(text), { now: TEST_ANCHOR, chunk }));
  }).catch((e: unknown) => (e as Rollback).report);
  const createdBy = new Map(report.results.filter((r) => r.outcome === 'created').map((r) => [r.leadId, r.line]));
  return { ...report, elapsedMs: 0, results: report.results.map((r) => ({ ...r, leadId: r.leadId ? (createdBy.get(r.leadId) ?? 'existing') : undefined })) };
}

it('gives the same report for any chunk size', async () => {
  const csv = [
    'name,phone,email,source,stage,budget,notes',
    'Ana Ruiz,+66811110001,,portal,new,1000,first',
    'Ben Oduya,,ben@example.com,portal,,,',
    'Ana R.,+66811110001,ana@example.com,walk-in,,,same phone as line 2',
    'Bad Phone,12,,portal,,,',
    'Carla Existing,{EXISTING},carla@example.com,portal,,,',
    'Ben Again,+66811110009,BEN@example.com,portal,,,merges by email, fills phone',
    'Ben Third,+66811110009,,portal,,,matches the phone line 7 filled',
    ',,,portal,,,',
    'Dee Unknown Stage,+66811110010,,portal,nowhere,,',
    'Eve New,+66811110011,eve@example.com,facebook,,2500,',
  ].join('\n');
  const one = await run(csv, 1);
  expect(one.created).toBe(3);
  expect(one.merged).toBe(4);
  expect(one.rejected).toBe(3);
  expect(one.results.find((r) => r.line === 4)).toMatchObject({ outcome: 'merged', leadId: 2, matchedBy: 'phone' });
  expect(one.results.find((r) => r.line === 8)).toMatchObject({ outcome: 'merged', leadId: 3, matchedBy: 'phone' });
  for (const chunk of [2, 3, 500]) expect(await run(csv, chunk)).toEqual(one);
});
