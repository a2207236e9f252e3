import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedLocal, toSqlVector } from '../../src/core/embeddings/local.ts';
import { parseLeadAttributes } from '../../src/core/leads/attributes.ts';
import { createRng } from '../../src/core/random.ts';
import { openEmbeddedDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { SEEDS_DIR, parseSeedPack, seedDemo, type SeedReport } from '../../src/db/seed/index.ts';
import { OBJECTION_CATEGORIES } from '../../src/db/seed/packs.ts';
import { SEED_TABLES } from '../../src/db/seed/insert.ts';

const ANCHOR = new Date('2026-03-15T00:00:00Z');
const SLUGS = ['demo-clinic', 'demo-realty'];
// Every table the seed writes, and so every table the digest covers.
const TABLES = SEED_TABLES;

let db: Database;
let first: SeedReport;
let firstDigest: Record<string, string>;

async function query<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await db.pool.query<T>(text, params)).rows;
}

/** One md5 per table over every column of every row, ordered by id. */
async function digest(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const [row] = await query<{ d: string; n: number }>(
      `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) AS d, count(*)::int AS n FROM ${table} t`,
    );
    out[table] = `${row!.n}:${row!.d}`;
  }
  return out;
}

async function tenantId(slug: string): Promise<string> {
  const [row] = await query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]);
  return row!.id;
}

beforeAll(async () => {
  db = await openEmbeddedDatabase('memory://');
  await migrate(db);
  first = await seedDemo(db, { anchor: ANCHOR });
  firstDigest = await digest();
});

afterAll(async () => {
  await db?.close();
});

describe('seedDemo', () => {
  it('seeds both demo tenants and reports counts per table', () => {
    expect(first.anchor).toBe(ANCHOR.toISOString());
    expect(first.tenants.map((t) => [t.slug, t.status])).toEqual(SLUGS.map((s) => [s, 'seeded']));
    for (const t of first.tenants) {
      expect(t.counts.leads).toBeGreaterThanOrEqual(500);
      expect(t.counts.activities).toBeGreaterThanOrEqual(3000);
      expect(t.elapsedMs).toBeGreaterThan(0);
    }
  });

  it('is a no-op for a tenant that already exists', async () => {
    const again = await seedDemo(db, { anchor: ANCHOR });
    expect(again.tenants.map((t) => t.status)).toEqual(['skipped', 'skipped']);
    expect(again.tenants[0]!.note).toMatch(/already exists/);
    expect(await digest()).toEqual(firstDigest);
  });

  it('rebuilds identical rows, ids included, from the same anchor (reset)', async () => {
    const again = await seedDemo(db, { anchor: ANCHOR, reset: true });
    expect(again.tenants.map((t) => t.status)).toEqual(['seeded', 'seeded']);
    expect(again.tenants.map((t) => t.tenantId)).toEqual(first.tenants.map((t) => t.tenantId));
    expect(again.tenants.map((t) => t.counts)).toEqual(first.tenants.map((t) => t.counts));
    expect(await digest()).toEqual(firstDigest);
  });

  it('can seed one tenant on its own, and refuses an unknown one', async () => {
    const one = await seedDemo(db, { anchor: ANCHOR, tenants: ['demo-realty'] });
    expect(one.tenants.map((t) => t.slug)).toEqual(['demo-realty']);
    await expect(seedDemo(db, { tenants: ['nope'] })).rejects.toThrow(/No seed pack for tenant "nope"/);
  });

  it('meets the minimum counts in every tenant', async () => {
    for (const slug of SLUGS) {
      const id = await tenantId(slug);
      const [c] = await query<Record<string, number>>(
        `SELECT
           (SELECT count(*)::int FROM leads WHERE tenant_id = $1) AS leads,
           (SELECT count(*)::int FROM activities WHERE tenant_id = $1) AS activities,
           (SELECT count(*)::int FROM deals WHERE tenant_id = $1 AND status = 'won') AS won,
           (SELECT count(*)::int FROM deals WHERE tenant_id = $1 AND status = 'lost') AS lost,
           (SELECT count(*)::int FROM deals WHERE tenant_id = $1 AND status = 'open') AS open,
           (SELECT count(*)::int FROM tasks WHERE tenant_id = $1 AND status = 'open') AS open_tasks,
           (SELECT count(*)::int FROM tasks WHERE tenant_id = $1 AND status = 'done') AS done_tasks,
           (SELECT count(*)::int FROM staff_users WHERE tenant_id = $1 AND role = 'rep') AS reps,
           (SELECT count(*)::int FROM staff_users WHERE tenant_id = $1 AND role = 'manager') AS managers,
           (SELECT count(*)::int FROM staff_users WHERE tenant_id = $1 AND role = 'admin') AS admins,
           (SELECT count(*)::int FROM leads WHERE tenant_id = $1 AND owner_id IS NULL) AS unassigned,
           (SELECT count(*)::int FROM leads WHERE tenant_id = $1 AND grade IS NOT NULL) AS graded`,
        [id],
      );
      expect(c, slug).toMatchObject({ leads: 500 });
      expect(c!.activities, slug).toBeGreaterThanOrEqual(3000);
      for (const k of ['won', 'lost', 'open', 'open_tasks', 'done_tasks', 'unassigned', 'managers', 'admins']) expect(c![k], `${slug} ${k}`).toBeGreaterThan(0);
      expect(c!.reps, slug).toBeGreaterThanOrEqual(4);
      // Most leads are left for the scoring work to grade; about a fifth are graded.
      expect(c!.graded, slug).toBeGreaterThan(50);
      expect(c!.graded, slug).toBeLessThan(250);
    }
  });

  it('uses every pipeline stage, and only known ones', async () => {
    const rows = await query<{ slug: string; key: string; n: number }>(
      `SELECT t.slug, s.key, count(l.id)::int AS n
         FROM pipeline_stages s JOIN tenants t ON t.id = s.tenant_id
         LEFT JOIN leads l ON l.tenant_id = s.tenant_id AND l.stage_key = s.key
        GROUP BY 1, 2`,
    );
    expect(rows.length).toBe(16);
    for (const r of rows) expect(r.n, `${r.slug} ${r.key}`).toBeGreaterThan(0);
    const [orphans] = await query<{ n: number }>(
      'SELECT count(*)::int AS n FROM leads l WHERE NOT EXISTS (SELECT 1 FROM pipeline_stages s WHERE s.tenant_id = l.tenant_id AND s.key = l.stage_key)',
    );
    expect(orphans!.n).toBe(0);
  });

  it('has objection playbooks for every category in every tenant locale, with embeddings', async () => {
    const tenants = await query<{ id: string; slug: string; locales: string[] }>('SELECT id, slug, locales FROM tenants');
    for (const t of tenants) {
      const rows = await query<{ category: string; locale: string; n: number }>(
        "SELECT category, locale, count(*)::int AS n FROM playbook_entries WHERE tenant_id = $1 AND kind = 'objection' GROUP BY 1, 2",
        [t.id],
      );
      for (const locale of t.locales) {
        for (const category of OBJECTION_CATEGORIES) {
          const n = rows.find((r) => r.locale === locale && r.category === category)?.n ?? 0;
          expect(n, `${t.slug} ${category} ${locale}`).toBeGreaterThanOrEqual(2);
        }
        const [stage] = await query<{ n: number }>(
          "SELECT count(DISTINCT category)::int AS n FROM playbook_entries WHERE tenant_id = $1 AND kind = 'stage' AND locale = $2",
          [t.id, locale],
        );
        expect(stage!.n, `${t.slug} stage entries ${locale}`).toBe(8);
      }
    }
    const [missing] = await query<{ n: number }>(
      `SELECT (SELECT count(*) FROM playbook_entries WHERE embedding IS NULL OR embedding_model IS NULL)
            + (SELECT count(*) FROM knowledge_chunks WHERE embedding IS NULL OR embedding_model IS NULL) AS n`,
    );
    expect(missing!.n).toBe(0);
  });

  it('finds the right playbook entry by vector search', async () => {
    const search = (slug: string, locale: string, text: string) =>
      query<{ category: string }>(
        `SELECT p.category FROM playbook_entries p JOIN tenants t ON t.id = p.tenant_id
          WHERE t.slug = $1 AND p.locale = $2 AND p.kind = 'objection'
          ORDER BY p.embedding <=> $3::vector LIMIT 1`,
        [slug, locale, toSqlVector(embedLocal(text))],
      );
    expect((await search('demo-clinic', 'en', 'another clinic has a promotion'))[0]?.category).toBe('competitor');
    expect((await search('demo-clinic', 'th', 'ขอปรึกษาแฟนก่อน'))[0]?.category).toBe('authority');
    expect((await search('demo-realty', 'ar', 'هل الصك سليم؟'))[0]?.category).toBe('trust');
  });

  it('creates the named scenario people with their identities', async () => {
    const [nok] = await query<Record<string, any>>(
      `SELECT l.*, s.email AS owner_email, ci.external_id, ci.channel AS id_channel, ca.status AS account_status
         FROM leads l JOIN tenants t ON t.id = l.tenant_id
         LEFT JOIN staff_users s ON s.id = l.owner_id
         LEFT JOIN channel_identities ci ON ci.lead_id = l.id
         LEFT JOIN channel_accounts ca ON ca.id = ci.channel_account_id
        WHERE t.slug = 'demo-clinic' AND l.display_name = 'นก'`,
    );
    expect(nok).toMatchObject({
      first_name: 'นก',
      locale: 'th',
      source: 'line',
      stage_key: 'contacted',
      consent: 'opted_in',
      budget: '15000.00',
      owner_email: 'ploy@demo-clinic.example',
      external_id: 'Unok0000000000000000000000000000',
      id_channel: 'line',
      account_status: 'disabled',
    });
    expect(nok!.attributes.skin.concerns).toEqual(['acne', 'large_pores']);
    expect(nok!.attributes.skin.urgency).toBe(75);

    const somjai = await query<{ display_name: string }>(
      `SELECT display_name FROM leads l JOIN tenants t ON t.id = l.tenant_id
        WHERE t.slug = 'demo-clinic' AND (lower(display_name) % 'somjai' OR display_name ILIKE '%somjai%' OR display_name LIKE 'สมใจ%')`,
    );
    expect(somjai.map((r) => r.display_name)).toEqual(expect.arrayContaining(['Somjai Chaiyaporn', 'สมใจ ชัยพร']));
    expect(somjai.length).toBeGreaterThanOrEqual(3);

    const [faisal] = await query<Record<string, any>>(
      `SELECT l.*, s.email AS owner_email, ci.external_id, ci.channel AS id_channel,
              br.cities, br.districts, br.property_types, br.price_max, br.bedrooms_min
         FROM leads l JOIN tenants t ON t.id = l.tenant_id
         JOIN staff_users s ON s.id = l.owner_id
         JOIN channel_identities ci ON ci.lead_id = l.id
         JOIN buyer_requests br ON br.lead_id = l.id
        WHERE t.slug = 'demo-realty' AND l.first_name = 'فيصل'`,
    );
    expect(faisal).toMatchObject({
      display_name: 'فيصل العتيبي',
      locale: 'ar',
      source: 'telegram',
      stage_key: 'new',
      owner_email: 'omar@demo-realty.example',
      external_id: '12345',
      id_channel: 'telegram',
      cities: ['Riyadh'],
      districts: ['Al Malqa', 'Al Yasmin', 'Al Narjis'],
      property_types: ['villa'],
      price_max: '3000000.00',
      bedrooms_min: 4,
    });
    // Name searches match substrings, so no generated name may contain a scenario name.
    const [named] = await query<Record<string, number>>(
      `SELECT count(*) FILTER (WHERE display_name LIKE '%นก%' OR display_name ILIKE '%nok%')::int AS nok,
              count(*) FILTER (WHERE display_name LIKE '%สมใจ%' OR display_name ILIKE '%somjai%')::int AS somjai,
              count(*) FILTER (WHERE display_name LIKE '%فيصل%' OR display_name ILIKE '%faisal%')::int AS faisal
         FROM leads`,
    );
    expect(named).toEqual({ nok: 1, somjai: 3, faisal: 1 });

    const staff = await query<{ email: string; name: string; role: string }>('SELECT email, name, role FROM staff_users ORDER BY email');
    expect(staff).toEqual(
      expect.arrayContaining([
        { email: 'ploy@demo-clinic.example', name: 'Ploy Rattanakul', role: 'rep' },
        { email: 'kanya@demo-clinic.example', name: 'Kanya Srisawat', role: 'manager' },
        expect.objectContaining({ email: 'admin@demo-clinic.example', role: 'admin' }),
        { email: 'omar@demo-realty.example', name: 'Omar Al-Harbi', role: 'rep' },
        { email: 'sara@demo-realty.example', name: 'Sara Al-Qahtani', role: 'manager' },
        expect.objectContaining({ email: 'admin@demo-realty.example', role: 'admin' }),
      ]),
    );
  });

  it('creates one active local account per tenant and disabled chat accounts without secrets', async () => {
    const rows = await query<{ slug: string; channel: string; external_id: string; status: string; secrets_enc: string | null }>(
      'SELECT t.slug, a.channel, a.external_id, a.status, a.secrets_enc FROM channel_accounts a JOIN tenants t ON t.id = a.tenant_id ORDER BY 1, 2',
    );
    expect(rows.filter((r) => r.channel === 'local').map((r) => [r.external_id, r.status])).toEqual([
      ['local:demo-clinic', 'active'],
      ['local:demo-realty', 'active'],
    ]);
    for (const r of rows.filter((r) => r.channel !== 'local')) expect(r.status).toBe('disabled');
    expect(rows.every((r) => r.secrets_enc === null)).toBe(true);
    expect(rows.map((r) => `${r.slug}:${r.channel}`).sort()).toEqual(
      ['demo-clinic:line', 'demo-clinic:local', 'demo-clinic:slack', 'demo-realty:local', 'demo-realty:slack', 'demo-realty:telegram'].sort(),
    );
  });

  it('gives identities the right shape per channel, and none on the local channel', async () => {
    const rows = await query<{ channel: string; external_id: string; staff: boolean; lead: boolean }>(
      'SELECT channel, external_id, staff_user_id IS NOT NULL AS staff, lead_id IS NOT NULL AS lead FROM channel_identities',
    );
    expect(rows.some((r) => r.channel === 'local')).toBe(false);
    for (const r of rows) {
      if (r.channel === 'slack') expect(r.staff && /^U[A-Z0-9]{8,12}$/.test(r.external_id), r.external_id).toBe(true);
      if (r.channel === 'telegram') expect(r.lead && /^\d+$/.test(r.external_id), r.external_id).toBe(true);
      if (r.channel === 'line' && r.external_id !== 'Unok0000000000000000000000000000') {
        expect(r.lead && /^U[0-9a-f]{32}$/.test(r.external_id), r.external_id).toBe(true);
      }
    }
    const [staffWithout] = await query<{ n: number }>(
      "SELECT count(*)::int AS n FROM staff_users s WHERE NOT EXISTS (SELECT 1 FROM channel_identities ci WHERE ci.staff_user_id = s.id AND ci.channel = 'slack')",
    );
    expect(staffWithout!.n).toBe(0);
  });

  it('stores lead attributes that pass parseLeadAttributes', async () => {
    const rows = await query<{ attributes: unknown; vertical: string }>('SELECT l.attributes, t.vertical FROM leads l JOIN tenants t ON t.id = l.tenant_id');
    let skin = 0;
    let buyer = 0;
    let purchases = 0;
    for (const r of rows) {
      const a = parseLeadAttributes(r.attributes);
      if (a.skin) skin++;
      if (a.buyer) buyer++;
      if (a.purchases?.length) purchases++;
      expect(r.vertical === 'clinic' ? a.buyer : a.skin).toBeUndefined();
    }
    expect(skin).toBeGreaterThan(300);
    expect(buyer).toBeGreaterThan(300);
    expect(purchases).toBeGreaterThan(20);
  });

  it('writes valid E.164 phones with the right country code, and leaves some out', async () => {
    const rows = await query<{ phone: string | null; slug: string }>('SELECT l.phone, t.slug FROM leads l JOIN tenants t ON t.id = l.tenant_id');
    for (const r of rows.filter((r) => r.phone !== null)) {
      expect(r.phone).toMatch(r.slug === 'demo-clinic' ? /^\+66[689]\d{8}$/ : /^\+9665\d{8}$/);
    }
    expect(rows.some((r) => r.phone === null)).toBe(true);
  });

  it('keeps every time on or before the anchor, and lead summaries consistent with activities', async () => {
    const [late] = await query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM activities WHERE occurred_at > $1) AS activities,
              (SELECT count(*)::int FROM leads WHERE created_at > $1 OR updated_at > $1 OR last_contact_at > $1 OR last_inbound_at > $1) AS leads,
              (SELECT count(*)::int FROM deals WHERE created_at > $1 OR closed_at > $1 OR closed_at < created_at) AS deals,
              (SELECT count(*)::int FROM tasks WHERE created_at > $1 OR completed_at > $1) AS tasks,
              (SELECT min(occurred_at) FROM activities) >= $1::timestamptz - interval '366 days' AS within_year`,
      [ANCHOR.toISOString()],
    );
    expect(late).toEqual({ activities: 0, leads: 0, deals: 0, tasks: 0, within_year: true });

    const [mismatch] = await query<Record<string, number>>(
      `SELECT
         count(*) FILTER (WHERE l.last_inbound_at IS DISTINCT FROM x.last_in)::int AS inbound,
         count(*) FILTER (WHERE l.last_contact_at IS DISTINCT FROM x.last_out)::int AS contact,
         count(*) FILTER (WHERE l.created_at IS DISTINCT FROM x.first_at)::int AS created
       FROM leads l JOIN LATERAL (
         SELECT max(occurred_at) FILTER (WHERE kind = 'message_in' OR (kind = 'call' AND data->>'direction' = 'in')) AS last_in,
                max(occurred_at) FILTER (WHERE kind IN ('message_out', 'meeting', 'email') OR (kind = 'call' AND data->>'direction' = 'out')) AS last_out,
                min(occurred_at) AS first_at
           FROM activities a WHERE a.lead_id = l.id) x ON true`,
    );
    expect(mismatch).toEqual({ inbound: 0, contact: 0, created: 0 });

    const [due] = await query<{ overdue: number; upcoming: number }>(
      `SELECT count(*) FILTER (WHERE due_at < $1)::int AS overdue, count(*) FILTER (WHERE due_at >= $1)::int AS upcoming
         FROM tasks WHERE status = 'open'`,
      [ANCHOR.toISOString()],
    );
    expect(due!.overdue).toBeGreaterThan(0);
    expect(due!.upcoming).toBeGreaterThan(0);
  });

  it('closes deals over the last twelve months, with amounts from the catalogue or listings', async () => {
    const [spread] = await query<{ months: number }>(
      "SELECT count(DISTINCT date_trunc('month', closed_at))::int AS months FROM deals WHERE status <> 'open'",
    );
    expect(spread!.months).toBeGreaterThanOrEqual(10);
    const [bad] = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM deals d
        WHERE NOT EXISTS (SELECT 1 FROM catalogue_items c WHERE c.tenant_id = d.tenant_id AND c.sku = d.item_ref AND d.amount BETWEEN c.price * 0.85 AND c.price)
          AND NOT EXISTS (SELECT 1 FROM listings x WHERE x.tenant_id = d.tenant_id AND x.ref = d.item_ref AND d.amount BETWEEN x.price * 0.9 AND x.price)`,
    );
    expect(bad!.n).toBe(0);
  });
});

describe('seedDemo at a larger scale', () => {
  it('checks references once at the end instead of per row, with the same kind of data', async () => {
    const big = await openEmbeddedDatabase('memory://');
    try {
      await migrate(big);
      const report = await seedDemo(big, { anchor: ANCHOR, scale: 10.1, tenants: ['demo-clinic'] });
      expect(report.tenants[0]!.counts.leads).toBe(5050);
      const { rows } = await big.pool.query<{ orphans: number; stages: number }>(
        `SELECT (SELECT count(*)::int FROM activities a WHERE NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = a.lead_id)) AS orphans,
                (SELECT count(DISTINCT stage_key)::int FROM leads) AS stages`,
      );
      expect(rows[0]).toEqual({ orphans: 0, stages: 8 });
    } finally {
      await big.close();
    }
  });
});

describe('seed packs', () => {
  it('name the broken field when a pack is invalid', () => {
    const raw = JSON.parse(fs.readFileSync(path.join(SEEDS_DIR, 'clinic.json'), 'utf8'));
    delete raw.stages[2].names.en;
    expect(() => parseSeedPack(raw, 'clinic.json')).toThrow(/clinic\.json is not a valid seed pack: stages\[2\]\.names\.en: missing the "en" text/);
    raw.stages[2].names.en = 'Consultation booked';
    raw.playbooks = raw.playbooks.filter((p: { category: string; locale: string }) => !(p.category === 'price' && p.locale === 'th'));
    expect(() => parseSeedPack(raw, 'clinic.json')).toThrow(/needs at least 2 "price" objection entries in "th"/);
  });
});

describe('createRng', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const draw = (seed: string) => {
      const r = createRng(seed);
      return [r.next(), r.int(1, 6), r.uuid(), r.pick(['a', 'b', 'c']), r.shuffle([1, 2, 3, 4, 5]), r.weighted([['x', 1], ['y', 3]] as const), r.chance(0.5)];
    };
    expect(draw('demo-clinic')).toEqual(draw('demo-clinic'));
    expect(draw('demo-clinic')).not.toEqual(draw('demo-realty'));
    expect(createRng('a').fork('x').uuid()).toBe(createRng('a').fork('x').uuid());
  });

  it('keeps helpers within their ranges', () => {
    const r = createRng(42);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 7);
      expect(n >= 3 && n <= 7 && Number.isInteger(n)).toBe(true);
      expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(r.shuffle([1, 2, 3, 4]).sort()).toEqual([1, 2, 3, 4]);
    expect(() => r.weighted([['x', 0]])).toThrow(/no positive weight/);
  });
});
