import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliDatabase, createTestDatabase } from '../helpers/db.ts';
import { runCli } from '../helpers/cli.ts';
import type { Database } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { importLeadsCsv, type ImportReport } from '../../src/core/import/import-leads.ts';
import { exportLeads, exportToCsv, exportToXlsx } from '../../src/core/import/export-leads.ts';
import { parseLeadsCsv } from '../../src/core/import/csv.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const clinicCsv = fs.readFileSync(new URL('leads-clinic.csv', FIXTURES));
const realtyCsv = fs.readFileSync(new URL('leads-realty.csv', FIXTURES));
const NOW = new Date('2026-11-20T05:00:00Z');

let db: Database;
let clinic: Tenant;
let realty: Tenant;

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  clinic = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-clinic'));
  realty = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-realty'));
});
afterAll(async () => {
  await db?.close();
});

const count = (tenant: Tenant, q: string, params: unknown[] = []) =>
  withTenant(db, tenant.id, async (sql) => (await sql.query<{ n: number }>(q, params)).rows[0]!.n);

/** A report without what differs between two runs of the same file (timings, new ids). */
const shape = (r: ImportReport) => r.results.map(({ leadId: _l, ...rest }) => rest);

describe('closer import leads (service)', () => {
  let dry: ImportReport;

  it('a dry run reports every row and writes nothing', async () => {
    const before = await count(clinic, 'SELECT count(*)::int AS n FROM leads');
    const activities = await count(clinic, 'SELECT count(*)::int AS n FROM activities');
    dry = await importLeadsCsv(db, clinic, clinicCsv, { dryRun: true, now: NOW });
    expect(dry).toMatchObject({ dryRun: true, rows: 10, created: 3, merged: 2, rejected: 5 });
    expect(await count(clinic, 'SELECT count(*)::int AS n FROM leads')).toBe(before);
    expect(await count(clinic, 'SELECT count(*)::int AS n FROM activities')).toBe(activities);
    const byLine = Object.fromEntries(dry.results.map((r) => [r.line, r]));
    expect(byLine[3]).toMatchObject({ outcome: 'merged', matchedBy: 'phone', filled: ['email'] });
    expect(byLine[5]).toMatchObject({ outcome: 'merged', matchedBy: 'phone' });
    expect(byLine[6]!.reasons).toEqual(['bad phone "12345"']);
    expect(byLine[7]!.reasons[0]).toMatch(/^unknown stage "done-deal"/);
    expect(byLine[8]!.reasons).toEqual(['unknown owner "nobody@demo-clinic.example"']);
    expect(byLine[9]!.reasons).toEqual(['empty name']);
    expect(byLine[10]!.reasons).toEqual(['bad number in budget: "lots"']);
  });

  it('the real run does exactly what the dry run reported', async () => {
    const real = await importLeadsCsv(db, clinic, clinicCsv, { now: NOW });
    expect(real.dryRun).toBe(false);
    expect(shape(real)).toEqual(shape(dry));
    const malai = await withTenant(db, clinic.id, async (sql) =>
      (await sql.query(`SELECT first_name, last_name, phone, email, source, stage_key, consent, budget, locale, attributes FROM leads WHERE display_name = 'มาลัย ใจดี'`)).rows,
    );
    expect(malai).toEqual([
      { first_name: 'มาลัย', last_name: 'ใจดี', phone: '+66891112233', email: 'malai@example.com', source: 'facebook', stage_key: 'new', consent: 'opted_in', budget: '15000.00', locale: 'th', attributes: { interests: ['acne', 'large_pores'] } },
    ]);
    const jane = await withTenant(db, clinic.id, async (sql) => (await sql.query(`SELECT stage_key, email, budget FROM leads WHERE phone = '+66923456789'`)).rows);
    expect(jane).toEqual([{ stage_key: 'contacted', email: 'jane@example.com', budget: '12000.00' }]);
  });

  it('a merge fills empty fields only: Nok keeps her owner, stage and budget', async () => {
    const nok = await withTenant(db, clinic.id, async (sql) =>
      (await sql.query<{ email: string; stage_key: string; budget: string; owner: string }>(
        `SELECT l.email, l.stage_key, l.budget, s.email AS owner FROM leads l JOIN staff_users s ON s.id = l.owner_id WHERE l.phone = '+66812345678'`,
      )).rows,
    );
    expect(nok).toEqual([{ email: 'nok.fair@example.com', stage_key: 'contacted', budget: '15000.00', owner: 'ploy@demo-clinic.example' }]);
    const notes = await count(clinic, `SELECT count(*)::int AS n FROM activities a JOIN leads l ON l.id = a.lead_id WHERE l.phone = '+66812345678' AND a.kind = 'note' AND a.body = 'Met at the beauty fair'`);
    expect(notes).toBe(1);
  });

  it('importing the same file again creates nothing', async () => {
    const again = await importLeadsCsv(db, clinic, clinicCsv, { now: NOW });
    expect(again).toMatchObject({ created: 0, merged: 5, rejected: 5 });
  });

  it('reads semicolons, Arabic-Indic digits, Arabic stage names and realty columns', async () => {
    const r = await importLeadsCsv(db, realty, realtyCsv, { now: NOW });
    expect(r).toMatchObject({ created: 1, merged: 1, rejected: 1 });
    expect(r.results[2]!.reasons).toEqual(['unknown property type "castle"']);
    const khalid = await withTenant(db, realty.id, async (sql) =>
      (await sql.query(
        `SELECT l.phone, l.stage_key, s.email AS owner, b.property_types, b.districts, b.cities, b.price_max, b.bedrooms_min
         FROM leads l JOIN staff_users s ON s.id = l.owner_id JOIN buyer_requests b ON b.lead_id = l.id WHERE l.display_name = 'خالد الدوسري'`,
      )).rows,
    );
    expect(khalid).toEqual([
      { phone: '+966551234567', stage_key: 'new', owner: 'omar@demo-realty.example', property_types: ['villa'], districts: ['Al Malqa', 'Al Yasmin'], cities: ['Riyadh'], price_max: '3000000.00', bedrooms_min: 4 },
    ]);
    // Faisal's buyer request was complete: the file's 5 million / 6 bedrooms / Hittin did not overwrite it.
    const faisal = await withTenant(db, realty.id, async (sql) =>
      (await sql.query(`SELECT l.email, l.stage_key, b.price_max, b.bedrooms_min FROM leads l JOIN buyer_requests b ON b.lead_id = l.id AND b.status = 'active' WHERE l.phone = '+966501234567'`)).rows,
    );
    expect(faisal).toEqual([{ email: 'faisal@example.com', stage_key: 'new', price_max: '3000000.00', bedrooms_min: 4 }]);
  });

  it("matches within the tenant only: the clinic's Nok imported into the agency is a new lead there", async () => {
    const r = await importLeadsCsv(db, realty, 'name,phone\nNok Srisuk,+66812345678\n', { now: NOW });
    expect(r).toMatchObject({ created: 1, merged: 0 });
    expect(await count(realty, `SELECT count(*)::int AS n FROM leads WHERE phone = '+66812345678'`)).toBe(1);
    expect(await count(clinic, `SELECT count(*)::int AS n FROM leads WHERE phone = '+66812345678'`)).toBe(1);
  });
});

describe('closer export leads (service)', () => {
  it('exports formula-safe CSV that imports back onto the same leads', async () => {
    const data = await withTenant(db, clinic.id, (sql) => exportLeads(sql));
    const total = await count(clinic, 'SELECT count(*)::int AS n FROM leads');
    expect(data.rows).toHaveLength(total);
    const csv = exportToCsv(data);
    expect(csv).toContain("'=HYPERLINK(");
    expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
    expect(csv).toContain("'+66812345678");
    const parsed = parseLeadsCsv(csv);
    expect(parsed.ignoredColumns).toEqual([]);
    const nok = parsed.rows.find((r) => r.values.phone === '+66812345678')!;
    expect(nok.values).toMatchObject({ name: 'นก', stage: 'contacted', owner_email: 'ploy@demo-clinic.example', concerns: 'acne; large_pores' });
    const back = await importLeadsCsv(db, clinic, csv, { now: NOW, dryRun: true });
    expect(back.created).toBe(0);
    expect(back.rejected).toBe(0);
    expect(back.merged).toBe(total);
    expect(back.results.every((r) => r.matchedBy === 'id')).toBe(true);
  });

  it('exports XLSX with Thai and Arabic text intact', async () => {
    const data = await withTenant(db, realty.id, (sql) => exportLeads(sql));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await exportToXlsx(data, realty)) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Leads')!;
    expect(ws.getRow(1).getCell(2).value).toBe('name');
    const names = ws.getColumn(2).values;
    expect(names).toContain('فيصل العتيبي');
    expect(ws.rowCount).toBe(data.rows.length + 1);
  });
});

describe('closer import/export leads (CLI)', () => {
  let home: string;
  let cli: Awaited<ReturnType<typeof createCliDatabase>>;
  beforeAll(async () => {
    // A private copy of the seeded test image (embedded CLOSER_HOME or a server database).
    cli = await createCliDatabase('closer-import-');
    home = cli.env.CLOSER_HOME!;
  });
  afterAll(async () => {
    await cli?.close();
  });
  const env = () => cli.env;

  it('imports with --dry-run --json, then for real, and exports CSV and XLSX', async () => {
    const file = new URL('leads-clinic.csv', FIXTURES).pathname;
    const dry = await runCli(['import', 'leads', file, '--tenant', 'demo-clinic', '--dry-run', '--json'], env());
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, created: 3, merged: 2, rejected: 5 });
    const real = await runCli(['import', 'leads', file, '--tenant', 'demo-clinic'], env());
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/10 rows, 3 created, 2 merged, 5 rejected/);
    expect(real.stdout).toMatch(/line 6: rejected: bad phone "12345"/);
    const out = path.join(home, 'realty.xlsx');
    const exp = await runCli(['export', 'leads', '--tenant', 'demo-realty', '--format', 'xlsx', '--out', out], env());
    expect(exp.code).toBe(0);
    expect(exp.stdout).toMatch(/Wrote \d+ leads of demo-realty/);
    expect(fs.readFileSync(out).subarray(0, 2).toString()).toBe('PK');
    const csvOut = path.join(home, 'clinic.csv');
    expect((await runCli(['export', 'leads', '--tenant', 'demo-clinic', '--out', csvOut], env())).code).toBe(0);
    expect(fs.readFileSync(csvOut, 'utf8')).toContain('มาลัย ใจดี');
  });

  it('explains a missing tenant', async () => {
    const r = await runCli(['export', 'leads', '--tenant', 'no-such', '--out', path.join(home, 'x.csv')], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No tenant with slug "no-such"/);
  });
});
