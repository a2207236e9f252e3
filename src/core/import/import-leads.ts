import { randomUUID } from 'node:crypto';
import type { Database, Sql } from '../../db/database.ts';
import { withTenant } from '../../db/tenant.ts';
import { SUPPORTED_LOCALES } from '../../agents/i18n.ts';
import { SKIN_CONCERNS } from '../leads/attributes.ts';
import { findExistingLead, type ExistingLead, type MatchedBy } from '../leads/dedupe.ts';
import { normaliseEmail, normalisePhone, tenantRegion } from '../leads/phone.ts';
import { markScoreStale } from '../leads/stale.ts';
import { tenantDistricts, type District } from '../customer/geo.ts';
import { customerText, findKeys } from '../customer/match.ts';
import { parseAmount } from '../customer/numbers.ts';
import { CONCERN_TERMS, PROPERTY_TYPE_TERMS } from '../customer/vocabulary.ts';
import { normaliseText } from '../format.ts';
import type { Tenant } from '../tenants.ts';
import { parseLeadsCsv, splitList, type CsvRow, type ParsedCsv } from './csv.ts';
import { startSequences } from '../followups/events.ts';
import { loadRules, stepDueTimes, type FollowupRule } from '../followups/rules.ts';

/**
 * Imports leads from a CSV into one tenant, under its row-level security.
 * Each row creates a lead, or merges into the lead it already is (same id,
 * phone or email; see dedupe.ts): a merge fills empty fields only and never
 * overwrites what the team already knows. Bad rows are rejected with every
 * reason, the rest still go in. A dry run does the same work in a
 * transaction that is rolled back, so its report is exactly what a real run
 * would do.
 */

export interface ImportRowResult {
  line: number;
  outcome: 'created' | 'merged' | 'rejected';
  leadId?: string;
  matchedBy?: MatchedBy;
  /** Why a row was rejected. */
  reasons: string[];
  /** Fields a merge filled in (they were empty on the existing lead). */
  filled: string[];
  warnings: string[];
}

export interface ImportReport {
  tenant: string;
  dryRun: boolean;
  rows: number;
  created: number;
  merged: number;
  rejected: number;
  ignoredColumns: string[];
  results: ImportRowResult[];
  elapsedMs: number;
}

interface Lookups {
  stages: { key: string; names: Record<string, string>; position: number }[];
  staff: Map<string, { id: string; active: boolean }>;
  districts: District[];
}

/** A row checked and converted, ready to write. */
interface CleanRow {
  id?: string;
  displayName: string;
  firstName: string;
  lastName: string | null;
  phone?: string;
  email?: string;
  source?: string;
  stage?: string;
  ownerId?: string;
  budget?: number;
  locale?: string;
  consent?: 'opted_in' | 'opted_out' | 'unknown';
  notes?: string;
  concerns: string[];
  cities: string[];
  districts: string[];
  propertyTypes: string[];
  priceMax?: number;
  bedroomsMin?: number;
}

const CONSENT_WORDS: Record<string, CleanRow['consent']> = {
  opted_in: 'opted_in', opt_in: 'opted_in', 'opt-in': 'opted_in', yes: 'opted_in', y: 'opted_in', true: 'opted_in', '1': 'opted_in', subscribed: 'opted_in', in: 'opted_in',
  opted_out: 'opted_out', opt_out: 'opted_out', 'opt-out': 'opted_out', no: 'opted_out', n: 'opted_out', false: 'opted_out', '0': 'opted_out', unsubscribed: 'opted_out', out: 'opted_out',
  unknown: 'unknown',
};

function checkRow(row: CsvRow, tenant: Tenant, lk: Lookups): { clean?: CleanRow; reasons: string[] } {
  const v = row.values;
  const reasons: string[] = [];
  const name = (v.name ?? [v.first_name, v.last_name].filter(Boolean).join(' ')).replace(/\s+/g, ' ').trim();
  if (!name) reasons.push('empty name');
  const [firstWord, ...rest] = name.split(' ');
  const firstName = (v.first_name ?? firstWord ?? '').trim();
  const lastName = (v.last_name ?? (v.first_name ? '' : rest.join(' '))).trim() || null;

  let phone: string | undefined;
  if (v.phone) {
    phone = normalisePhone(v.phone, tenantRegion(tenant));
    if (!phone) reasons.push(`bad phone "${v.phone}"`);
  }
  let email: string | undefined;
  if (v.email) {
    email = normaliseEmail(v.email);
    if (!email) reasons.push(`bad email "${v.email}"`);
  }
  let stage: string | undefined;
  if (v.stage) {
    const s = normaliseText(v.stage);
    stage = lk.stages.find((x) => x.key === s.replace(/\s+/g, '_') || Object.values(x.names).some((n) => normaliseText(n) === s))?.key;
    if (!stage) reasons.push(`unknown stage "${v.stage}" (known: ${lk.stages.map((x) => x.key).join(', ')})`);
  }
  let ownerId: string | undefined;
  if (v.owner_email) {
    const s = lk.staff.get(v.owner_email.trim().toLowerCase());
    if (!s) reasons.push(`unknown owner "${v.owner_email}"`);
    else if (!s.active) reasons.push(`owner "${v.owner_email}" is inactive`);
    else ownerId = s.id;
  }
  const amount = (col: 'budget' | 'price_max'): number | undefined => {
    const raw = v[col];
    if (!raw) return undefined;
    const n = parseAmount(raw);
    if (n === undefined || n < 0) reasons.push(`bad number in ${col}: "${raw}"`);
    return n;
  };
  const budget = amount('budget');
  const priceMax = amount('price_max');
  let bedroomsMin: number | undefined;
  if (v.bedrooms_min) {
    const n = Number(v.bedrooms_min.replace(/\+$/, '').trim());
    if (!Number.isInteger(n) || n < 0 || n > 50) reasons.push(`bad number in bedrooms_min: "${v.bedrooms_min}"`);
    else bedroomsMin = n;
  }
  let locale: string | undefined;
  if (v.locale) {
    const l = v.locale.toLowerCase().split(/[-_]/)[0] ?? '';
    if (![...SUPPORTED_LOCALES, ...tenant.locales].includes(l)) reasons.push(`unknown locale "${v.locale}"`);
    else locale = l;
  }
  let consent: CleanRow['consent'];
  if (v.consent) {
    consent = CONSENT_WORDS[v.consent.trim().toLowerCase().replace(/\s+/g, '_')];
    if (!consent) reasons.push(`bad consent "${v.consent}" (use opted_in, opted_out or unknown)`);
  }
  const concerns: string[] = [];
  for (const c of splitList(v.concerns)) {
    const key = c.toLowerCase().replace(/\s+/g, '_');
    const found = (SKIN_CONCERNS as readonly string[]).includes(key) ? [key] : findKeys(c, CONCERN_TERMS);
    if (!found.length) reasons.push(`unknown concern "${c}"`);
    for (const f of found) if (!concerns.includes(f)) concerns.push(f);
  }
  const propertyTypes: string[] = [];
  for (const p of splitList(v.property_types)) {
    const key = p.toLowerCase();
    const found = key in PROPERTY_TYPE_TERMS ? [key] : findKeys(p, PROPERTY_TYPE_TERMS);
    if (!found.length) reasons.push(`unknown property type "${p}"`);
    for (const f of found) if (!propertyTypes.includes(f)) propertyTypes.push(f);
  }
  // Districts are kept as written unless they name one of the tenant's, which then gives the canonical spelling.
  const districts = splitList(v.districts).map((d) => {
    const t = customerText(d);
    return lk.districts.find((x) => [x.name, ...Object.values(x.names)].some((n) => customerText(n) === t))?.name ?? d;
  });
  const id = v.id && /^[0-9a-f-]{36}$/i.test(v.id) ? v.id.toLowerCase() : undefined;
  if (v.id && !id) reasons.push(`bad id "${v.id}"`);
  if (reasons.length) return { reasons };
  return {
    reasons,
    clean: {
      id,
      displayName: name.slice(0, 120),
      firstName: (firstName || name).slice(0, 120),
      lastName: lastName?.slice(0, 120) ?? null,
      phone,
      email,
      source: v.source?.slice(0, 60),
      stage,
      ownerId,
      budget,
      locale,
      consent,
      notes: v.notes,
      concerns,
      cities: splitList(v.cities),
      districts,
      propertyTypes,
      priceMax,
      bedroomsMin,
    },
  };
}

async function loadLookups(sql: Sql, tenant: Tenant): Promise<Lookups> {
  const stages = (await sql.query<{ key: string; names: Record<string, string>; position: number }>('SELECT key, names, position FROM pipeline_stages ORDER BY position')).rows;
  const staff = new Map(
    (await sql.query<{ id: string; email: string; active: boolean }>('SELECT id, email, active FROM staff_users')).rows.map((s) => [s.email.toLowerCase(), { id: s.id, active: s.active }]),
  );
  return { stages, staff, districts: await tenantDistricts(sql, tenant) };
}

async function note(sql: Sql, tenant: Tenant, leadId: string, kind: 'note' | 'system', body: string, data: Record<string, unknown>, now: Date): Promise<void> {
  await sql.query('INSERT INTO activities (tenant_id, lead_id, kind, body, data, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)', [tenant.id, leadId, kind, body.slice(0, 2000), JSON.stringify(data), now]);
}

function attributesFor(concerns: string[]): Record<string, unknown> {
  // Without a skin scan there is no skin type, so imported concerns are kept as interests (see attributes.ts).
  return concerns.length ? { interests: concerns } : {};
}

async function mergeLead(sql: Sql, tenant: Tenant, leadId: string, c: CleanRow, line: number, now: Date): Promise<{ filled: string[]; warnings: string[] }> {
  const cur = (
    await sql.query<{ last_name: string | null; phone: string | null; email: string | null; owner_id: string | null; budget: string | null; locale: string | null; consent: string; attributes: Record<string, unknown> }>(
      'SELECT last_name, phone, email, owner_id, budget, locale, consent, attributes FROM leads WHERE id = $1 FOR UPDATE',
      [leadId],
    )
  ).rows[0]!;
  const filled: string[] = [];
  const warnings: string[] = [];
  const set: Record<string, unknown> = {};
  const fill = (field: string, column: string, current: unknown, next: unknown) => {
    if ((current === null || current === undefined) && next !== undefined && next !== null) {
      set[column] = next;
      filled.push(field);
    }
  };
  fill('last_name', 'last_name', cur.last_name, c.lastName);
  if (c.phone && cur.phone === null) {
    const other = await findExistingLead(sql, tenant, { phone: c.phone });
    if (other && other.leadId !== leadId) warnings.push(`phone ${c.phone} belongs to another lead; not copied`);
    else fill('phone', 'phone', cur.phone, c.phone);
  }
  if (c.email && cur.email === null) {
    const other = await findExistingLead(sql, tenant, { email: c.email });
    if (other && other.leadId !== leadId) warnings.push(`email ${c.email} belongs to another lead; not copied`);
    else fill('email', 'email', cur.email, c.email);
  }
  fill('owner', 'owner_id', cur.owner_id, c.ownerId);
  fill('budget', 'budget', cur.budget, c.budget);
  fill('locale', 'locale', cur.locale, c.locale);
  if (cur.consent === 'unknown' && c.consent && c.consent !== 'unknown') {
    set.consent = c.consent;
    set.consent_changed_at = now;
    filled.push('consent');
  }
  const interests = Array.isArray(cur.attributes?.interests) ? (cur.attributes.interests as string[]) : [];
  const skin = cur.attributes?.skin as { concerns?: string[] } | undefined;
  if (c.concerns.length && !skin?.concerns?.length && !interests.some((i) => (SKIN_CONCERNS as readonly string[]).includes(i))) {
    set.attributes = JSON.stringify({ ...cur.attributes, interests: [...interests, ...c.concerns] });
    filled.push('concerns');
  }
  const columns = Object.keys(set);
  if (columns.length) {
    await sql.query(`UPDATE leads SET ${columns.map((k, i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1`, [leadId, ...columns.map((k) => set[k])]);
  }
  if (c.cities.length || c.districts.length || c.propertyTypes.length || c.priceMax !== undefined || c.bedroomsMin !== undefined) {
    const br = (
      await sql.query<{ id: string; cities: string[]; districts: string[]; property_types: string[]; price_max: string | null; bedrooms_min: number | null }>(
        `SELECT id, cities, districts, property_types, price_max, bedrooms_min FROM buyer_requests WHERE lead_id = $1 AND status = 'active' ORDER BY updated_at DESC LIMIT 1`,
        [leadId],
      )
    ).rows[0];
    if (!br) {
      await sql.query(
        `INSERT INTO buyer_requests (tenant_id, lead_id, cities, districts, property_types, price_max, bedrooms_min, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
        [tenant.id, leadId, c.cities, c.districts, c.propertyTypes, c.priceMax ?? null, c.bedroomsMin ?? null, now],
      );
      filled.push('buyer_request');
    } else {
      const next = {
        cities: br.cities.length ? br.cities : c.cities,
        districts: br.districts.length ? br.districts : c.districts,
        property_types: br.property_types.length ? br.property_types : c.propertyTypes,
        price_max: br.price_max ?? c.priceMax ?? null,
        bedrooms_min: br.bedrooms_min ?? c.bedroomsMin ?? null,
      };
      const changed = [
        !br.cities.length && c.cities.length ? 'cities' : '',
        !br.districts.length && c.districts.length ? 'districts' : '',
        !br.property_types.length && c.propertyTypes.length ? 'property_types' : '',
        br.price_max === null && c.priceMax !== undefined ? 'price_max' : '',
        br.bedrooms_min === null && c.bedroomsMin !== undefined ? 'bedrooms_min' : '',
      ].filter(Boolean);
      if (changed.length) {
        await sql.query(`UPDATE buyer_requests SET cities = $2, districts = $3, property_types = $4, price_max = $5, bedrooms_min = $6, updated_at = $7 WHERE id = $1`, [
          br.id, next.cities, next.districts, next.property_types, next.price_max, next.bedrooms_min, now,
        ]);
        filled.push(...changed);
      }
    }
  }
  if (c.notes) await note(sql, tenant, leadId, 'note', c.notes, { source: 'import', line }, now);
  if (filled.length) {
    await note(sql, tenant, leadId, 'system', `CSV import filled: ${filled.join(', ')}`, { event: 'import_merged', line, filled }, now);
    await markScoreStale(sql, leadId);
  }
  return { filled, warnings };
}

/** Rows checked, matched and written per batch: multi-row statements instead of a handful of statements per row. */
export const IMPORT_CHUNK = 500;

/**
 * Imports parsed rows inside the caller's tenant transaction.
 *
 * Rows are written in batches (issue #11: ≥ 2,000 rows/s). The leads the
 * file's rows already are come from three queries (ids, phones, emails), and
 * new leads are written `chunk` at a time with one statement per table. The
 * report is row for row what handling the rows one at a time gives, because
 * the order's effects are kept: a row matching a lead an earlier row created
 * merges into it (after that lead is written, in file order); a merge that
 * could meet a lead not yet written writes the pending ones first; a merge
 * that fills a phone or email makes its lead the one later rows match.
 */
export async function importParsedLeads(sql: Sql, tenant: Tenant, parsed: ParsedCsv, opts: { now: Date; dryRun?: boolean; chunk?: number }): Promise<ImportReport> {
  const began = Date.now();
  const lk = await loadLookups(sql, tenant);
  const rules = (await loadRules(sql)).filter((r) => r.trigger.event === 'lead_created');
  const results: ImportRowResult[] = [];
  const size = opts.chunk ?? IMPORT_CHUNK;
  const checked = parsed.rows.map((row) => ({ row, ...checkRow(row, tenant, lk) }));
  // Every lead the file's rows already are, in three queries; kept current below as rows create and merge.
  const known = await lookupMatches(sql, tenant, checked.flatMap((c) => (c.clean ? [c.clean] : [])));
  let pending: { leadId: string; clean: CleanRow; line: number }[] = [];
  const pendingById = new Map<string, CleanRow>();
  // Merges into a lead still pending that cannot change its phone or email (the only things later rows match on): run right after it is written.
  let deferred: { index: number; leadId: string; clean: CleanRow; line: number; matchedBy: MatchedBy; warnings: string[] }[] = [];
  const merge = async (leadId: string, clean: CleanRow, line: number, matchedBy: MatchedBy, warnings: string[]): Promise<ImportRowResult> => {
    const m = await mergeLead(sql, tenant, leadId, clean, line, opts.now);
    // A merge fills a phone or email only when no other lead has it, so its lead is now the one later rows match.
    known.filled(leadId, m.filled.includes('phone') ? clean.phone : undefined, m.filled.includes('email') ? clean.email : undefined);
    return { line, outcome: 'merged', leadId, matchedBy, reasons: [], filled: m.filled, warnings: [...warnings, ...m.warnings] };
  };
  const flush = async () => {
    await createLeads(sql, tenant, pending, lk, rules, opts.now);
    pending = [];
    pendingById.clear();
    const todo = deferred;
    deferred = [];
    for (const d of todo) results[d.index] = await merge(d.leadId, d.clean, d.line, d.matchedBy, d.warnings);
  };
  for (const { row, clean, reasons } of checked) {
    if (!clean) {
      results.push({ line: row.line, outcome: 'rejected', reasons, filled: [], warnings: [] });
      continue;
    }
    const warnings: string[] = [];
    const existing = known.match(clean);
    if (clean.id && existing?.matchedBy !== 'id') warnings.push(`id ${clean.id} is not a lead of ${tenant.slug}; matched by phone/email instead`);
    if (existing) {
      const target = pendingById.get(existing.leadId);
      if (target && !(clean.phone && !target.phone) && !(clean.email && !target.email)) {
        deferred.push({ index: results.length, leadId: existing.leadId, clean, line: row.line, matchedBy: existing.matchedBy, warnings });
        results.push({ line: row.line, outcome: 'merged', leadId: existing.leadId, matchedBy: existing.matchedBy, reasons: [], filled: [], warnings });
        continue;
      }
      // The merge reads the lead it joins and checks its phone/email against other leads: write the
      // pending new leads (and the merges waiting for them) first when it could meet one of them.
      if (target || pending.some((p) => (clean.phone && p.clean.phone === clean.phone) || (clean.email && p.clean.email === clean.email))) await flush();
      results.push(await merge(existing.leadId, clean, row.line, existing.matchedBy, warnings));
    } else {
      const leadId = randomUUID();
      pending.push({ leadId, clean, line: row.line });
      pendingById.set(leadId, clean);
      known.add(leadId, clean);
      results.push({ line: row.line, outcome: 'created', leadId, reasons: [], filled: [], warnings });
      if (pending.length >= size) await flush();
    }
  }
  await flush();
  const count = (o: ImportRowResult['outcome']) => results.filter((r) => r.outcome === o).length;
  return {
    tenant: tenant.slug,
    dryRun: opts.dryRun ?? false,
    rows: parsed.rows.length,
    created: count('created'),
    merged: count('merged'),
    rejected: count('rejected'),
    ignoredColumns: parsed.ignoredColumns,
    results,
    elapsedMs: Date.now() - began,
  };
}

/**
 * The leads a file's rows already are, as findExistingLead decides it (id,
 * then phone, then email; the oldest lead of a phone or email), read with
 * one query per key instead of up to three per row; then kept current as
 * the import creates leads and merges fill phones and emails.
 */
async function lookupMatches(sql: Sql, tenant: Tenant, rows: CleanRow[]) {
  const ids = [...new Set(rows.flatMap((r) => (r.id ? [r.id] : [])))];
  const phones = [...new Set(rows.flatMap((r) => (r.phone ? [r.phone] : [])))];
  const emails = [...new Set(rows.flatMap((r) => (r.email ? [r.email] : [])))];
  const byId = new Set<string>();
  const byPhone = new Map<string, string>();
  const byEmail = new Map<string, string>();
  if (ids.length) {
    for (const r of (await sql.query<{ id: string }>('SELECT id FROM leads WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [tenant.id, ids])).rows) byId.add(r.id);
  }
  if (phones.length) {
    const { rows: found } = await sql.query<{ id: string; phone: string }>(
      'SELECT DISTINCT ON (phone) id, phone FROM leads WHERE tenant_id = $1 AND phone = ANY($2::text[]) ORDER BY phone, created_at, id',
      [tenant.id, phones],
    );
    for (const r of found) byPhone.set(r.phone, r.id);
  }
  if (emails.length) {
    const { rows: found } = await sql.query<{ id: string; email: string }>(
      // email IS NOT NULL: the predicate of the partial index leads_email, which the planner does not infer.
      'SELECT DISTINCT ON (lower(email)) id, lower(email) AS email FROM leads WHERE tenant_id = $1 AND email IS NOT NULL AND lower(email) = ANY($2::text[]) ORDER BY lower(email), created_at, id',
      [tenant.id, emails],
    );
    for (const r of found) byEmail.set(r.email, r.id);
  }
  return {
    match(c: CleanRow): ExistingLead | undefined {
      if (c.id && byId.has(c.id)) return { leadId: c.id, matchedBy: 'id' };
      const phone = c.phone && byPhone.get(c.phone);
      if (phone) return { leadId: phone, matchedBy: 'phone' };
      const email = c.email && byEmail.get(c.email);
      if (email) return { leadId: email, matchedBy: 'email' };
      return undefined;
    },
    /** A lead the import creates: later rows with its phone or email merge into it (it is the oldest: existing ones matched first). */
    add(leadId: string, c: CleanRow) {
      byId.add(leadId);
      if (c.phone && !byPhone.has(c.phone)) byPhone.set(c.phone, leadId);
      if (c.email && !byEmail.has(c.email)) byEmail.set(c.email, leadId);
    },
    /** A merge gave a lead this phone and/or email. */
    filled(leadId: string, phone: string | undefined, email: string | undefined) {
      if (phone && !byPhone.has(phone)) byPhone.set(phone, leadId);
      if (email && !byEmail.has(email)) byEmail.set(email, leadId);
    },
  };
}

/** Writes a chunk's new leads, their buyer requests and notes with one statement per table, then starts their lead_created sequences. */
async function createLeads(sql: Sql, tenant: Tenant, rows: { leadId: string; clean: CleanRow; line: number }[], lk: Lookups, rules: FollowupRule[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const sourceOf = (c: CleanRow) => (c.source ?? 'import').slice(0, 60);
  const rulesFor = (c: CleanRow) => rules.filter((rule) => !rule.trigger.sources || rule.trigger.sources.includes(sourceOf(c)));
  // The lead's next follow-up, as refreshNextFollowup would read it after the sequences below: a new lead has no other.
  const nextFollowup = (c: CleanRow) => {
    const dues = rulesFor(c).flatMap((rule) => stepDueTimes(rule, now)).filter((d) => d > now);
    return dues.length ? new Date(Math.min(...dues.map((d) => d.getTime()))).toISOString() : null;
  };
  await sql.query(
    `INSERT INTO leads (id, tenant_id, first_name, last_name, display_name, phone, email, source, stage_key, owner_id, consent, consent_changed_at, locale, timezone, budget, attributes, next_followup_at, created_at, updated_at)
     SELECT r.id, $2, r.first_name, r.last_name, r.display_name, r.phone, r.email, r.source, r.stage_key, r.owner_id, r.consent,
            CASE WHEN r.consent <> 'unknown' THEN $3::timestamptz END, r.locale, $4, r.budget, r.attributes, r.next_followup_at, $3, $3
     FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, first_name text, last_name text, display_name text, phone text, email text, source text, stage_key text,
                                             owner_id uuid, consent text, locale text, budget numeric, attributes jsonb, next_followup_at timestamptz)`,
    [
      JSON.stringify(
        rows.map(({ leadId, clean: c }) => ({
          id: leadId,
          first_name: c.firstName,
          last_name: c.lastName,
          display_name: c.displayName,
          phone: c.phone ?? null,
          email: c.email ?? null,
          source: c.source ?? 'import',
          stage_key: c.stage ?? lk.stages[0]?.key ?? 'new',
          owner_id: c.ownerId ?? null,
          consent: c.consent ?? 'unknown',
          locale: c.locale ?? null,
          budget: c.budget ?? null,
          attributes: attributesFor(c.concerns),
          next_followup_at: nextFollowup(c),
        })),
      ),
      tenant.id,
      now,
      tenant.timezone,
    ],
  );
  const requests = rows.filter(({ clean: c }) => c.cities.length || c.districts.length || c.propertyTypes.length || c.priceMax !== undefined || c.bedroomsMin !== undefined);
  if (requests.length) {
    await sql.query(
      `INSERT INTO buyer_requests (tenant_id, lead_id, cities, districts, property_types, price_max, bedrooms_min, created_at, updated_at)
       SELECT $2, r.lead_id, r.cities, r.districts, r.property_types, r.price_max, r.bedrooms_min, $3, $3
       FROM jsonb_to_recordset($1::jsonb) AS r(lead_id uuid, cities text[], districts text[], property_types text[], price_max numeric, bedrooms_min int)`,
      [
        JSON.stringify(
          requests.map(({ leadId, clean: c }) => ({ lead_id: leadId, cities: c.cities, districts: c.districts, property_types: c.propertyTypes, price_max: c.priceMax ?? null, bedrooms_min: c.bedroomsMin ?? null })),
        ),
        tenant.id,
        now,
      ],
    );
  }
  const notes = rows.flatMap(({ leadId, clean: c, line }) => [
    { lead_id: leadId, kind: 'system', body: 'Imported from CSV', data: { event: 'imported', line } },
    ...(c.notes ? [{ lead_id: leadId, kind: 'note', body: c.notes.slice(0, 2000), data: { source: 'import', line } }] : []),
  ]);
  await sql.query(
    `INSERT INTO activities (tenant_id, lead_id, kind, body, data, occurred_at)
     SELECT $2, r.lead_id, r.kind, r.body, r.data, $3 FROM jsonb_to_recordset($1::jsonb) AS r(lead_id uuid, kind text, body text, data jsonb)`,
    [JSON.stringify(notes), tenant.id, now],
  );
  // What onLeadEvent('lead_created') does per lead, per rule for all of them; in the import's transaction, so a dry run starts nothing.
  for (const rule of rules) {
    const ids = rows.filter(({ clean: c }) => rulesFor(c).includes(rule)).map((r) => r.leadId);
    await startSequences(sql, tenant, rule, ids, now, {}, false);
  }
}

class DryRunRollback extends Error {
  constructor(readonly report: ImportReport) {
    super('dry run: rolled back');
  }
}

/**
 * Imports a CSV file's text into a tenant in one transaction. With
 * `dryRun`, the transaction is rolled back after the work is done.
 */
export async function importLeadsCsv(db: Database, tenant: Tenant, csv: string | Buffer, opts: { now?: Date; dryRun?: boolean } = {}): Promise<ImportReport> {
  const parsed = parseLeadsCsv(csv);
  const now = opts.now ?? new Date();
  try {
    return await withTenant(db, tenant.id, async (sql) => {
      const report = await importParsedLeads(sql, tenant, parsed, { now, dryRun: opts.dryRun });
      if (opts.dryRun) throw new DryRunRollback(report);
      return report;
    });
  } catch (err) {
    if (err instanceof DryRunRollback) return err.report;
    throw err;
  }
}
