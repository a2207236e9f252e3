import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.ts';
import type { Database } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { findOrCreateLead } from '../../src/core/leads/dedupe.ts';
import { createLeadForNewContact } from '../../src/core/leads/intake.ts';

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

const idOf = (tenant: Tenant, name: string) =>
  withTenant(db, tenant.id, async (sql) => (await sql.query<{ id: string }>('SELECT id FROM leads WHERE display_name = $1', [name])).rows[0]!.id);

describe('lead intake and de-duplication', () => {
  it('joins the lead with the same channel identity, phone (any format) or email (any case)', async () => {
    const nok = await idOf(clinic, 'นก');
    const somjai = await idOf(clinic, 'Somjai Chaiyaporn');
    await withTenant(db, clinic.id, async (sql) => {
      expect(await findOrCreateLead(sql, clinic, { displayName: 'x', source: 'line', channel: 'line', externalId: 'Unok0000000000000000000000000000' })).toEqual({ leadId: nok, created: false, matchedBy: 'identity' });
      expect(await findOrCreateLead(sql, clinic, { displayName: 'Nok', source: 'telegram', phone: '081-234-5678' })).toEqual({ leadId: nok, created: false, matchedBy: 'phone' });
      expect(await findOrCreateLead(sql, clinic, { displayName: 'Nok', source: 'telegram', phone: '๐๘๑ ๒๓๔ ๕๖๗๘' })).toMatchObject({ leadId: nok, matchedBy: 'phone' });
      expect(await findOrCreateLead(sql, clinic, { displayName: 'S', source: 'webchat', email: '  SOMJAI.C@Example.com ' })).toEqual({ leadId: somjai, created: false, matchedBy: 'email' });
    });
  });

  it('fills the joined lead’s empty email but never overwrites, and notes the join', async () => {
    const nok = await idOf(clinic, 'นก');
    await withTenant(db, clinic.id, async (sql) => {
      await findOrCreateLead(sql, clinic, { displayName: 'Nok', source: 'webchat', phone: '+66812345678', email: 'nok@example.com' });
      await findOrCreateLead(sql, clinic, { displayName: 'Nok', source: 'webchat', phone: '+66812345678', email: 'other@example.com' });
      const lead = (await sql.query<{ email: string; display_name: string }>('SELECT email, display_name FROM leads WHERE id = $1', [nok])).rows[0]!;
      expect(lead).toEqual({ email: 'nok@example.com', display_name: 'นก' });
      const joins = (await sql.query(`SELECT 1 FROM activities WHERE lead_id = $1 AND data->>'event' = 'contact_joined'`, [nok])).rows.length;
      expect(joins).toBeGreaterThanOrEqual(2);
    });
  });

  it('never matches across tenants: the same phone in the other tenant is a new lead there', async () => {
    const nok = await idOf(clinic, 'นก');
    const first = await withTenant(db, realty.id, (sql) => findOrCreateLead(sql, realty, { displayName: 'Nok traveller', source: 'telegram', phone: '+66812345678' }));
    expect(first.created).toBe(true);
    expect(first.leadId).not.toBe(nok);
    // Even from a system transaction (no RLS), matching stays inside the tenant it is given. (A national
    // Thai number would be read as Saudi here, so the traveller writes it internationally.)
    const again = await withSystem(db, (sql) => findOrCreateLead(sql, realty, { displayName: 'Nok traveller', source: 'telegram', phone: '0066 81 234 5678' }));
    expect(again).toEqual({ leadId: first.leadId, created: false, matchedBy: 'phone' });
    const tenantOf = await withSystem(db, async (sql) => (await sql.query<{ tenant_id: string }>('SELECT tenant_id FROM leads WHERE id = $1', [first.leadId])).rows[0]!.tenant_id);
    expect(tenantOf).toBe(realty.id);
  });

  it('creates a lead in the first stage for a contact matching nothing, keeping the pipeline’s signature', async () => {
    const made = await withTenant(db, clinic.id, (sql) => createLeadForNewContact(sql, clinic, { channel: 'line', displayName: '  Mai   Tanaka ', source: 'line', locale: 'th', optedIn: true }));
    expect(made.created).toBe(true);
    const id = made.leadId;
    const lead = await withTenant(db, clinic.id, async (sql) => (await sql.query('SELECT display_name, stage_key, consent, owner_id, timezone FROM leads WHERE id = $1', [id])).rows[0]);
    expect(lead).toEqual({ display_name: 'Mai Tanaka', stage_key: 'new', consent: 'opted_in', owner_id: null, timezone: 'Asia/Bangkok' });
    // The pipeline's second contact for the same person (a phone shared on another channel) joins it.
    await withTenant(db, clinic.id, (sql) => sql.query(`UPDATE leads SET phone = '+66800000001' WHERE id = $1`, [id]));
    const same = await withTenant(db, clinic.id, (sql) => createLeadForNewContact(sql, clinic, { channel: 'telegram', displayName: 'Mai', source: 'telegram', phone: '080 000 0001' }));
    expect(same).toEqual({ leadId: id, created: false });
  });
});
