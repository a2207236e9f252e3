import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Sql } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { hotLeadsQuery, listHotLeads } from '../../src/core/prioritiser/hot.ts';
import { loadStages } from '../../src/core/scoring/context.ts';
import { searchLeads } from '../../src/core/leads/search.ts';
import { STALE_SQL_EXPR } from '../../src/core/scoring/recompute.ts';
import { SCORE_MODEL } from '../../src/core/scoring/config.ts';
import { TEST_ANCHOR } from '../helpers/anchor.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * The lead facts of migration 0020 and the name dictionary of 0021 are kept
 * by triggers; these tests write through every path (insert, update, delete,
 * in and out of time order) under the app role and compare the facts with
 * what a query over the activities themselves says.
 */
let db: Database;
const tenants = new Map<string, Tenant>();

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  for (const slug of ['demo-clinic', 'demo-realty']) {
    const id = (await db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug])).rows[0]!.id;
    tenants.set(slug, await withTenant(db, id, (sql) => getTenantBySlug(sql, slug)));
  }
});
afterAll(async () => {
  await db.close();
});

const inTenant = <T>(slug: string, fn: (sql: Sql) => Promise<T>) => withTenant(db, tenants.get(slug)!.id, fn);

/** The facts as the first-response questions computed them before 0020: straight from activities. */
const FACTS_FROM_ACTIVITIES = `
  SELECT l.id,
         (SELECT min(i.occurred_at) FROM activities i WHERE i.lead_id = l.id AND i.kind = 'message_in') AS first_inbound_at,
         (SELECT max(i.occurred_at) FROM activities i WHERE i.lead_id = l.id AND i.kind = 'message_in') AS last_message_in_at,
         (SELECT min(o.occurred_at) FROM activities o
           WHERE o.lead_id = l.id AND o.kind IN ('message_out', 'call') AND COALESCE(o.data->>'direction', 'out') <> 'in'
             AND o.occurred_at >= COALESCE((SELECT min(i.occurred_at) FROM activities i WHERE i.lead_id = l.id AND i.kind = 'message_in'), l.created_at)) AS first_response_at,
         (SELECT a.channel FROM activities a WHERE a.lead_id = l.id AND a.kind IN ('message_in', 'call') AND a.channel IS NOT NULL
           ORDER BY a.occurred_at LIMIT 1) AS first_channel,
         (SELECT sum(d.amount)::float8 FROM deals d WHERE d.lead_id = l.id AND d.status = 'open') AS open_deal_amount
  FROM leads l`;

const facts = async (sql: Sql, leadId: string) =>
  (
    await sql.query<{ first_inbound_at: Date | null; first_response_at: Date | null; first_channel: string | null; last_message_in_at: Date | null; open_deal_amount: number | null }>(
      'SELECT first_inbound_at, first_response_at, first_channel, last_message_in_at, open_deal_amount FROM leads WHERE id = $1',
      [leadId],
    )
  ).rows[0]!;

const at = (minutes: number) => new Date(TEST_ANCHOR.getTime() + minutes * 60_000);

async function newLead(sql: Sql, slug: string, name: string, createdAt = at(0)): Promise<string> {
  const [first, ...rest] = name.split(' ');
  return (
    await sql.query<{ id: string }>(
      `INSERT INTO leads (tenant_id, first_name, last_name, display_name, stage_key, created_at) VALUES ($1, $2, $3, $4, 'new', $5) RETURNING id`,
      [tenants.get(slug)!.id, first, rest.join(' ') || null, name, createdAt],
    )
  ).rows[0]!.id;
}

async function activity(sql: Sql, slug: string, leadId: string, kind: string, minutes: number, channel: string | null = 'telegram', data: object = {}): Promise<string> {
  return (
    await sql.query<{ id: string }>(
      'INSERT INTO activities (tenant_id, lead_id, kind, channel, occurred_at, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [tenants.get(slug)!.id, leadId, kind, channel, at(minutes), JSON.stringify(data)],
    )
  ).rows[0]!.id;
}

describe('lead facts kept by triggers (migration 0020)', () => {
  it('match a recomputation from activities for every seeded lead', async () => {
    for (const slug of tenants.keys()) {
      const mismatches = await inTenant(slug, async (sql) =>
        (
          await sql.query(
            `SELECT r.id FROM (${FACTS_FROM_ACTIVITIES}) r JOIN leads l ON l.id = r.id
             WHERE (l.first_inbound_at, l.first_response_at, l.first_channel, l.last_message_in_at, l.open_deal_amount)
                   IS DISTINCT FROM (r.first_inbound_at, r.first_response_at, r.first_channel, r.last_message_in_at, r.open_deal_amount)`,
          )
        ).rowCount,
      );
      expect(mismatches).toBe(0);
    }
  });

  it('follow inserts in and out of time order, updates and deletes, under the app role', async () => {
    await inTenant('demo-realty', async (sql) => {
      const lead = await newLead(sql, 'demo-realty', 'Facts Tester');
      expect(await facts(sql, lead)).toEqual({ first_inbound_at: null, first_response_at: null, first_channel: null, last_message_in_at: null, open_deal_amount: null });

      // We wrote first (before any inbound): the clock starts at creation, so that is the first response.
      const outEarly = await activity(sql, 'demo-realty', lead, 'message_out', 10, 'line');
      expect(await facts(sql, lead)).toMatchObject({ first_inbound_at: null, first_response_at: at(10), first_channel: null });

      // The lead writes at 20: the clock now starts there and the 10-minute message no longer counts.
      await activity(sql, 'demo-realty', lead, 'message_in', 20, 'telegram');
      expect(await facts(sql, lead)).toMatchObject({ first_inbound_at: at(20), first_response_at: null, first_channel: 'telegram', last_message_in_at: at(20) });

      // A reply marked inbound (a call the lead placed) is not our response; ours at 35 is.
      await activity(sql, 'demo-realty', lead, 'call', 30, 'phone', { direction: 'in' });
      await activity(sql, 'demo-realty', lead, 'message_out', 35, 'telegram');
      await activity(sql, 'demo-realty', lead, 'message_in', 50, 'telegram');
      expect(await facts(sql, lead)).toMatchObject({ first_inbound_at: at(20), first_response_at: at(35), last_message_in_at: at(50), first_channel: 'telegram' });

      // An older inbound inserted late (an import of history) moves the clock and the first channel back.
      const old = await activity(sql, 'demo-realty', lead, 'message_in', 5, 'whatsapp');
      expect(await facts(sql, lead)).toMatchObject({ first_inbound_at: at(5), first_response_at: at(10), first_channel: 'whatsapp' });

      // Updating and deleting activities recompute as well.
      await sql.query('UPDATE activities SET occurred_at = $2 WHERE id = $1', [outEarly, at(3)]);
      expect(await facts(sql, lead)).toMatchObject({ first_inbound_at: at(5), first_response_at: at(35) });
      await sql.query('DELETE FROM activities WHERE id = $1', [old]);
      expect(await facts(sql, lead)).toMatchObject({ first_inbound_at: at(20), first_response_at: at(35), first_channel: 'telegram' });
    });
  });

  it('keep the open deal amount across deal inserts, closes and deletes', async () => {
    await inTenant('demo-realty', async (sql) => {
      const tenantId = tenants.get('demo-realty')!.id;
      const lead = await newLead(sql, 'demo-realty', 'Deal Facts');
      const deal = async (amount: number) =>
        (await sql.query<{ id: string }>(`INSERT INTO deals (tenant_id, lead_id, title, amount, currency) VALUES ($1, $2, 'x', $3, 'THB') RETURNING id`, [tenantId, lead, amount])).rows[0]!.id;
      const a = await deal(1000);
      const b = await deal(500);
      expect((await facts(sql, lead)).open_deal_amount).toBe(1500);
      await sql.query(`UPDATE deals SET status = 'won', closed_at = now() WHERE id = $1`, [a]);
      expect((await facts(sql, lead)).open_deal_amount).toBe(500);
      await sql.query('DELETE FROM deals WHERE id = $1', [b]);
      expect((await facts(sql, lead)).open_deal_amount).toBeNull();
    });
  });
});

describe('leads.score_stale (migration 0023)', () => {
  it('is exactly the stale-score test, before and after a lead is scored and marked stale', async () => {
    await inTenant('demo-realty', async (sql) => {
      const differ = async () => (await sql.query(`SELECT id FROM leads WHERE score_stale IS DISTINCT FROM ${STALE_SQL_EXPR}`)).rowCount;
      expect(await differ()).toBe(0);
      const [some] = (await sql.query<{ id: string }>('SELECT id FROM leads WHERE score_stale LIMIT 1')).rows;
      await sql.query(`UPDATE leads SET scored_at = now(), score_factors = '{"model": "${SCORE_MODEL}"}' WHERE id = $1`, [some!.id]);
      expect((await sql.query<{ s: boolean }>('SELECT score_stale AS s FROM leads WHERE id = $1', [some!.id])).rows[0]!.s).toBe(false);
      await sql.query('UPDATE leads SET scored_at = NULL WHERE id = $1', [some!.id]);
      expect((await sql.query<{ s: boolean }>('SELECT score_stale AS s FROM leads WHERE id = $1', [some!.id])).rows[0]!.s).toBe(true);
      expect(await differ()).toBe(0);
    });
  });
});

describe('hot list over leads.hot_bound', () => {
  const slug = 'demo-realty';

  it('the bound is never below the priority, at any of several request times', async () => {
    const t = tenants.get(slug)!;
    await inTenant(slug, async (sql) => {
      const open = (await loadStages(sql)).filter((s) => s.openIndex !== null).map((s) => s.key);
      for (const hours of [-24 * 20, 0, 10, 24 * 30]) {
        const now = new Date(TEST_ANCHOR.getTime() + hours * 3_600_000);
        // Every open lead ranked (a limit above the lead count switches the threshold off), with its bound.
        const { text, params } = hotLeadsQuery(t, { now, limit: 100_000 }, open, 1_000_000);
        const { rows } = await sql.query<{ id: string; priority: number }>(text, params);
        expect(rows.length).toBeGreaterThan(100);
        const bounds = new Map((await sql.query<{ id: string; hot_bound: number }>('SELECT id, hot_bound FROM leads')).rows.map((r) => [r.id, r.hot_bound]));
        const over = rows.filter((r) => r.priority > bounds.get(r.id)! + 1e-6);
        expect(over).toEqual([]);
      }
    });
  });

  it('returns exactly the top of the full ranking, for the team and for each rep', async () => {
    const t = tenants.get(slug)!;
    const now = new Date(TEST_ANCHOR.getTime() + 10 * 3_600_000);
    await inTenant(slug, async (sql) => {
      const open = (await loadStages(sql)).filter((s) => s.openIndex !== null).map((s) => s.key);
      const p90 = async () => (await sql.query<{ p90: number }>(`SELECT coalesce(percentile_cont(0.9) WITHIN GROUP (ORDER BY amount), 0)::float8 AS p90 FROM (SELECT sum(amount)::float8 AS amount FROM deals WHERE status = 'open' GROUP BY lead_id) d`)).rows[0]!.p90;
      const reps = (await sql.query<{ id: string }>(`SELECT id FROM staff_users WHERE role = 'rep'`)).rows.map((r) => r.id);
      for (const ownerId of [undefined, ...reps]) {
        // The list first: it rescores stale leads (the seed's placeholder scores) before ranking.
        const list = await listHotLeads(sql, t, { now, limit: 10, ownerId });
        const q = hotLeadsQuery(t, { now, limit: 100_000, ownerId }, open, await p90());
        const full = await sql.query<{ id: string }>(q.text, q.params);
        expect(list.leads.map((l) => l.leadId)).toEqual(full.rows.slice(0, 10).map((r) => r.id));
      }
    });
  });
});

describe('lead search over the name dictionary (migration 0021)', () => {
  it('finds a lead by exact name, typo, first name and Latin alias, and follows renames and deletes', async () => {
    await inTenant('demo-realty', async (sql) => {
      const id = await newLead(sql, 'demo-realty', 'Zubaida Qarnawi');
      await sql.query(`UPDATE leads SET aliases = '{"زبيدة القرناوي"}' WHERE id = $1`, [id]);
      expect((await searchLeads(sql, 'Zubaida Qarnawi'))[0]).toMatchObject({ id, exact: true });
      expect((await searchLeads(sql, 'Zubaida Qarnwi')).map((m) => m.id)).toContain(id);
      expect((await searchLeads(sql, 'zubaida'))[0]).toMatchObject({ id, exact: true });
      expect((await searchLeads(sql, 'Qarnawi')).map((m) => m.id)).toContain(id);
      expect((await searchLeads(sql, 'زبيدة القرناوي'))[0]).toMatchObject({ id, exact: true });

      await sql.query(`UPDATE leads SET first_name = 'Yasmin', display_name = 'Yasmin Qarnawi', aliases = '{}' WHERE id = $1`, [id]);
      expect((await searchLeads(sql, 'Yasmin Qarnawi'))[0]).toMatchObject({ id, exact: true });
      expect((await searchLeads(sql, 'zubaida')).map((m) => m.id)).not.toContain(id);
      expect((await sql.query(`SELECT 1 FROM name_terms WHERE term = 'zubaida'`)).rowCount).toBe(0);

      await sql.query('DELETE FROM leads WHERE id = $1', [id]);
      expect(await searchLeads(sql, 'Yasmin Qarnawi')).not.toContainEqual(expect.objectContaining({ id }));
      expect((await sql.query(`SELECT 1 FROM name_terms WHERE term = 'yasmin qarnawi'`)).rowCount).toBe(0);
    });
  });

  it('never returns another tenant’s lead, and the dictionary is per tenant', async () => {
    const id = await inTenant('demo-clinic', (sql) => newLead(sql, 'demo-clinic', 'Quillon Varga'));
    await inTenant('demo-realty', async (sql) => {
      expect(await searchLeads(sql, 'Quillon Varga')).toEqual([]);
      expect((await sql.query(`SELECT 1 FROM name_terms WHERE term = 'quillon varga'`)).rowCount).toBe(0);
    });
    expect((await inTenant('demo-clinic', (sql) => searchLeads(sql, 'Quillon Varga')))[0]).toMatchObject({ id, exact: true });
  });
});
