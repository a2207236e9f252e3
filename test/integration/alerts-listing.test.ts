import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Sql } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { createListing } from '../../src/core/matching/listings.ts';
import { notifyBuyersOfListing } from '../../src/core/alerts/listing.ts';
import { createTestDatabase } from '../helpers/db.ts';

let db: Database;
let realty: Tenant;
let faisal: string;
const T0 = new Date('2026-11-21T08:00:00Z');

const tx = <T>(fn: (sql: Sql) => Promise<T>) => withTenant(db, realty.id, fn);

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  realty = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-realty'));
  faisal = await tx(async (sql) => {
    const id = (await sql.query<{ id: string }>(`SELECT id FROM leads WHERE display_name = 'فيصل العتيبي'`)).rows[0]!.id;
    await sql.query(`UPDATE leads SET consent = 'opted_in', unreachable = false, owner_id = (SELECT id FROM staff_users WHERE email = 'omar@demo-realty.example') WHERE id = $1`, [id]);
    const ident = (await sql.query<{ id: string; channel_account_id: string; channel: string; external_id: string }>(`SELECT id, channel_account_id, channel, external_id FROM channel_identities WHERE lead_id = $1 LIMIT 1`, [id])).rows[0]!;
    await sql.query(`UPDATE channel_accounts SET status = 'active' WHERE id = $1`, [ident.channel_account_id]);
    await sql.query(
      `INSERT INTO conversations (tenant_id, channel_account_id, channel_identity_id, channel, external_chat_id, lead_id, last_message_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [realty.id, ident.channel_account_id, ident.id, ident.channel, ident.external_id, id, T0],
    );
    // Omar's chat with Closer, where his summary lands.
    const local = (await sql.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE channel = 'local' LIMIT 1`)).rows[0]?.id ??
      (await sql.query<{ id: string }>(`INSERT INTO channel_accounts (tenant_id, channel, name, external_id) VALUES ($1, 'local', 'local', 'test-local-realty') RETURNING id`, [realty.id])).rows[0]!.id;
    await sql.query(
      `INSERT INTO conversations (tenant_id, channel_account_id, channel, external_chat_id, staff_user_id, last_message_at)
       VALUES ($1, $2, 'local', 'listing-test-omar', (SELECT id FROM staff_users WHERE email = 'omar@demo-realty.example'), $3) ON CONFLICT DO NOTHING`,
      [realty.id, local, T0],
    );
    return id;
  });
});
afterAll(async () => {
  await db.close();
});

async function addVilla(ref: string): Promise<string> {
  return tx(async (sql) => (await createListing(sql, realty, { ref, title: 'فيلا 5 غرف في الملقا', city: 'Riyadh', district: 'Al Malqa', type: 'villa', price: '2800000', bedrooms: '5', area: '450', status: 'available' } as never)).id);
}

describe('new listing → matched buyers', () => {
  it('tells a matched opted-in buyer once, in their language, and sends the agent a summary', async () => {
    const id = await addVilla('RY-T1');
    const first = await tx((sql) => notifyBuyersOfListing(sql, realty, id, T0));
    expect(first.notified.map((n) => n.leadId)).toContain(faisal);
    expect(first.ownerMessages.length).toBeGreaterThanOrEqual(1);
    const text = await tx(async (sql) => (await sql.query<{ text: string }>('SELECT text FROM messages WHERE id = $1', [first.notified.find((n) => n.leadId === faisal)!.messageId])).rows[0]!.text);
    expect(text).toContain('فيلا 5 غرف في الملقا');
    expect(text).toMatch(/مرحباً/);

    const again = await tx((sql) => notifyBuyersOfListing(sql, realty, id, new Date(T0.getTime() + 60_000)));
    expect(again.notified).toEqual([]);
    expect(again.skipped).toContainEqual({ leadId: faisal, reason: 'already_notified' });
    const count = await tx(async (sql) => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE dedupe_key = $1`, [`listing:${id}:${faisal}`])).rows[0]!.n);
    expect(count).toBe(1);
  });

  it('respects the per-listing cap and never messages buyers without consent', async () => {
    await withSystem(db, (sql) => sql.query(`UPDATE tenants SET settings = settings || '{"listing_notify_cap": 1}' WHERE id = $1`, [realty.id]));
    realty = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-realty'));
    await tx((sql) => sql.query(`UPDATE leads SET consent = 'opted_out' WHERE id = $1`, [faisal]));
    const id = await addVilla('RY-T2');
    const r = await tx((sql) => notifyBuyersOfListing(sql, realty, id, T0));
    expect(r.notified.length + r.skipped.length).toBeLessThanOrEqual(1);
    expect(r.notified.map((n) => n.leadId)).not.toContain(faisal);
  });
});
