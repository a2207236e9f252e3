import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait.ts';
import { msteamsHarness } from '../contract/harness-msteams.ts';
import { ROOT } from '../helpers/cli.ts';

/**
 * Item 6: "Teams / Web Chat / Direct Line identities can be spoofed." One
 * Azure Bot serves Teams and Direct Line (Web Chat) at the same endpoint,
 * every activity signed by the Bot Framework; but a Direct Line client
 * chooses its own `from.id`. An attacker opens Web Chat and claims a Teams
 * customer's id to be answered as them (their lead, their history).
 */
const teams = msteamsHarness();
/** The same bot with Enhanced Authentication attested for its Direct Line sites. */
const enhanced = msteamsHarness();
let app: TestApp;
let tenantId: string;

const count = (sqlText: string, params: unknown[] = []) => withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>(sqlText, params)).rows[0]!.n);
const identity = (accountId: string, key: string) =>
  withTenant(app.db, tenantId, async (sql) => (await sql.query<{ id: string; lead_id: string }>('SELECT id, lead_id FROM channel_identities WHERE channel_account_id = $1 AND external_id = $2', [accountId, key])).rows[0]);
/** A Web Chat activity through Direct Line, as the connector relays it: signed by the Bot Framework, with the client's own from.id. */
const webChat = (h: typeof teams, fromId: string, extra: Record<string, unknown> = {}) =>
  h.activity(fromId, h.newEventId(), { channelId: 'webchat', from: { id: fromId, name: 'Web Chat user', aadObjectId: h.aadOf('29:victim') }, conversation: { id: h.externalChatId!(fromId) }, text: 'what is my next appointment?', ...extra });

beforeAll(async () => {
  app = await startTestApp({ http: true });
  tenantId = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [teams.tenant])).rows[0]!.id;
  await teams.setup(app);
  await enhanced.setup(app);
  // Set before the account's first request, so no cached copy predates it.
  await withSystem(app.db, (sql) => sql.query(`UPDATE channel_accounts SET config = config || '{"directLineEnhancedAuth": true}' WHERE id = $1`, [enhanced.accountId()]));
}, 60_000);
afterAll(async () => {
  await teams.teardown();
  await enhanced.teardown();
  await app?.close();
});

describe('Teams / Web Chat identities (attack: claim a Teams user\'s id from Web Chat)', () => {
  it('keys a Teams user by their Entra object id, namespaced by channel', async () => {
    expect(await teams.sendText('29:victim', 'help')).toBe(200);
    await waitFor('a reply', () => teams.received('29:victim').length > 0);
    expect(await identity(teams.accountId(), `msteams:aad:${teams.aadOf('29:victim')}`)).toBeDefined();
    expect(await identity(teams.accountId(), '29:victim')).toBeUndefined();
  });

  it('without Enhanced Authentication, a Web Chat / Direct Line sender is ignored: nothing stored, nobody answered', async () => {
    const before = [await count('SELECT count(*)::int AS n FROM messages'), await count('SELECT count(*)::int AS n FROM channel_identities'), await count('SELECT count(*)::int AS n FROM leads')];
    for (const channelId of ['webchat', 'directline']) {
      const r = await teams.post(webChat(teams, '29:victim', { channelId }));
      expect(r.status).toBe(200);
    }
    const invoke = await teams.post(webChat(teams, '29:victim', { type: 'invoke', name: 'adaptiveCard/action', value: { action: { data: { closer: 'x' } } } }));
    expect(invoke.status).toBe(403);
    expect([await count('SELECT count(*)::int AS n FROM messages'), await count('SELECT count(*)::int AS n FROM channel_identities'), await count('SELECT count(*)::int AS n FROM leads')]).toEqual(before);
  });

  it('with Enhanced Authentication, only token-issued ids (dl_…) are accepted, each its own identity, never a Teams one', async () => {
    expect(await enhanced.sendText('29:victim', 'help')).toBe(200);
    const victim = await waitFor('the Teams identity', () => identity(enhanced.accountId(), `msteams:aad:${enhanced.aadOf('29:victim')}`));
    const inbound = () => count(`SELECT count(*)::int AS n FROM messages WHERE channel_account_id = $1 AND direction = 'in'`, [enhanced.accountId()]);
    const before = await inbound();
    // A client-chosen id that no Enhanced Authentication token carries.
    expect((await enhanced.post(webChat(enhanced, '29:victim'))).status).toBe(200);
    expect(await inbound()).toBe(before);
    // A real Direct Line user: their own identity, namespaced by channel, even with the victim's aadObjectId in the body.
    expect((await enhanced.post(webChat(enhanced, 'dl_alice'))).status).toBe(200);
    const alice = await waitFor('the Web Chat identity', () => identity(enhanced.accountId(), 'webchat:dl_alice'));
    expect(alice.lead_id).not.toBe(victim.lead_id);
    expect(alice.id).not.toBe(victim.id);
  });

  it('an identity stored the old way is taken over by its Teams user, with its lead: nothing orphaned', async () => {
    // As migration 0043 leaves a bare from.id key: namespaced by the channel, not yet by aad.
    const lead = (await withTenant(app.db, tenantId, (sql) => sql.query<{ id: string }>(`INSERT INTO leads (tenant_id, first_name, display_name, stage_key) SELECT $1, 'Old', 'Old Teams customer', stage_key FROM leads WHERE tenant_id = $1 LIMIT 1 RETURNING id`, [tenantId]))).rows[0]!.id;
    await withTenant(app.db, tenantId, (sql) => sql.query(`INSERT INTO channel_identities (tenant_id, channel_account_id, channel, external_id, lead_id) VALUES ($1, $2, 'msteams', 'msteams:29:olduser', $3)`, [tenantId, teams.accountId(), lead]));
    const leadsBefore = await count('SELECT count(*)::int AS n FROM leads');
    expect(await teams.sendText('29:olduser', 'help')).toBe(200);
    await waitFor('a reply', () => teams.received('29:olduser').length > 0);
    const moved = await identity(teams.accountId(), `msteams:aad:${teams.aadOf('29:olduser')}`);
    expect(moved?.lead_id).toBe(lead);
    expect(await identity(teams.accountId(), 'msteams:29:olduser')).toBeUndefined();
    expect(await count('SELECT count(*)::int AS n FROM leads')).toBe(leadsBefore);
  });
});

describe('migration 0043 namespaces identities stored with a bare from.id', () => {
  it('by the channel their conversations came through, msteams when unknown; leads stay attached', async () => {
    const db = await createTestDatabase({ seeded: true });
    try {
      const sqlText = fs.readFileSync(path.join(ROOT, 'db/migrations/0043_msteams_identity_keys.sql'), 'utf8');
      const t = (await db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id;
      const account = (await db.pool.query<{ id: string }>(`INSERT INTO channel_accounts (tenant_id, channel, name, external_id, config, status) VALUES ($1, 'msteams', 'old', 'old-app', '{}', 'active') RETURNING id`, [t])).rows[0]!.id;
      const lead = (await db.pool.query<{ id: string }>(`INSERT INTO leads (tenant_id, first_name, display_name, stage_key) SELECT $1, 'x', 'x', stage_key FROM leads WHERE tenant_id = $1 LIMIT 1 RETURNING id`, [t])).rows[0]!.id;
      for (const [key, leadId] of [['29:teamsuser', lead], ['webuser', null], ['nobody-knows', null]] as const) {
        await db.pool.query(`INSERT INTO channel_identities (tenant_id, channel_account_id, channel, external_id, lead_id) VALUES ($1, $2, 'msteams', $3, $4)`, [t, account, key, leadId]);
      }
      await db.pool.query(`INSERT INTO msteams_conversations (tenant_id, channel_account_id, conversation_id, service_url, activity_channel, bot_id, user_id) VALUES ($1, $2, 'a:1', 'https://x/', 'msteams', '28:b', '29:teamsuser'), ($1, $2, 'c2', 'https://x/', 'webchat', '28:b', 'webuser')`, [t, account]);
      await db.pool.query(sqlText);
      const rows = (await db.pool.query<{ external_id: string; lead_id: string | null }>('SELECT external_id, lead_id FROM channel_identities WHERE channel_account_id = $1 ORDER BY external_id', [account])).rows;
      expect(rows).toEqual([
        { external_id: 'msteams:29:teamsuser', lead_id: lead },
        { external_id: 'msteams:nobody-knows', lead_id: null },
        { external_id: 'webchat:webuser', lead_id: null },
      ]);
    } finally {
      await db.close();
    }
  });
});
