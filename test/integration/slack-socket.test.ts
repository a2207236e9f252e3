import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { SecretBox } from '../../src/core/secrets.ts';
import { mapSlackUser } from '../../src/bots/slack/staff.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeSlack, slackEvent } from '../fakes/slack.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Socket Mode against the fake: the app opens apps.connections.open on the
 * account's API URL with its app-level token, connects to the fake's
 * WebSocket, acknowledges every envelope and answers through the same
 * pipeline as HTTP (replies arrive at the fake's chat.postMessage).
 */
const TEAM = 'TSOCKET01';
const APP_TOKEN = 'xapp-1-A1-socket-test';
const PLOY = 'USOCKPLOY';
let db: Database;
let app: TestApp;
let fake: FakeSlack;
let tenantId: string;
let accountId: string;
let closed = false;
// The key startTestApp gives the app (CLOSER_SECRET_KEY), so the account sealed here opens there.
const TEST_SECRET_KEY = '0'.repeat(64);

const newDm = () => `D${randomUUID().slice(0, 8).toUpperCase()}`;
const postsTo = (channel: string) => fake.posts((c) => c.args.channel === channel);
const count = (q: string, params: unknown[]) => withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>(q, params)).rows[0]!.n);

function eventsEnvelope(envelopeId: string, eventId: string, channel: string, text: string, retry = 0, team = TEAM): Record<string, unknown> {
  const payload = JSON.parse(slackEvent(team, eventId, { type: 'message', channel_type: 'im', channel, user: PLOY, text, ts: `${Math.floor(Date.now() / 1000)}.000100` })) as Record<string, unknown>;
  return { envelope_id: envelopeId, type: 'events_api', accepts_response_payload: false, retry_attempt: retry, retry_reason: retry ? 'timeout' : '', payload };
}

beforeAll(async () => {
  fake = await new FakeSlack().start();
  fake.appTokens.add(APP_TOKEN);
  // The account exists before the app starts, as after `closer slack add … --socket-mode`.
  db = await createTestDatabase({ seeded: true });
  tenantId = (await db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
  accountId = await withTenant(db, tenantId, async (sql) => {
    const id = await upsertAccount(sql, tenantId, new SecretBox(TEST_SECRET_KEY), {
      channel: 'slack',
      name: 'Socket workspace',
      externalId: TEAM,
      config: { bot_user_id: 'UBOT', socket_mode: true },
      // No signing secret: over Socket Mode the connection is the authentication.
      secrets: { bot_token: 'xoxb-socket', app_token: APP_TOKEN },
      apiBaseUrl: fake.url,
    });
    await mapSlackUser(sql, tenantId, id, PLOY, 'ploy@demo-clinic.example');
    return id;
  });
  app = await startTestApp({ db, http: true });
  await waitFor('the socket connection', () => fake.sockets.has(APP_TOKEN));
}, 60_000);
afterAll(async () => {
  if (!closed) await app?.close();
  await db?.close();
  await fake?.stop();
});

describe('slack socket mode', () => {
  it('opens the connection through apps.connections.open on the account API URL, with the app token', () => {
    const open = fake.calls.filter((c) => c.method === 'apps.connections.open');
    expect(open.length).toBeGreaterThanOrEqual(1);
    expect(open.every((c) => c.token === APP_TOKEN && c.ok)).toBe(true);
    expect(app.slackSocketMode!.connected.has(accountId)).toBe(true);
  });

  it('acknowledges a DM envelope and answers it through the pipeline', async () => {
    const channel = newDm();
    fake.sendEnvelope(APP_TOKEN, eventsEnvelope('env-dm-1', `Ev${randomUUID()}`, channel, 'who should I call next?'));
    const [ack] = await waitFor('the ack', () => fake.acks('env-dm-1').length > 0 && fake.acks('env-dm-1'));
    expect(ack!.data).toEqual({ envelope_id: 'env-dm-1', payload: {} });
    const [reply] = await waitFor('the reply', () => postsTo(channel).length > 0 && postsTo(channel));
    expect(reply!.token).toBe('xoxb-socket');
    expect(String(reply!.args.text).length).toBeGreaterThan(10);
    // Stored once, for this workspace's account (which has no signing secret: nothing came over HTTP).
    expect(await count(`SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'in' AND m.channel_account_id = $2`, [channel, accountId])).toBe(1);
  });

  it('answers an envelope delivered twice (retry_attempt) once', async () => {
    const channel = newDm();
    const eventId = `Ev${randomUUID()}`;
    fake.sendEnvelope(APP_TOKEN, eventsEnvelope('env-dup-1', eventId, channel, 'help'));
    await waitFor('first ack', () => fake.acks('env-dup-1').length > 0);
    fake.sendEnvelope(APP_TOKEN, eventsEnvelope('env-dup-2', eventId, channel, 'help', 1));
    await waitFor('second ack', () => fake.acks('env-dup-2').length > 0);
    // A later message in the same DM is answered after the first: once it is in, any duplicate would be too.
    fake.sendEnvelope(APP_TOKEN, eventsEnvelope('env-dup-3', `Ev${randomUUID()}`, channel, 'hello'));
    await waitFor('both replies', () => postsTo(channel).length >= 2);
    await waitFor('settled', async () => (await count(`SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'out' AND m.status IN ('pending', 'sending')`, [channel])) === 0);
    expect(postsTo(channel)).toHaveLength(2);
    expect(await count('SELECT count(*)::int AS n FROM messages WHERE channel_account_id = $1 AND platform_message_id = $2', [accountId, eventId])).toBe(1);
  });

  it('feeds slash commands and button presses into the same path', async () => {
    fake.sendEnvelope(APP_TOKEN, {
      envelope_id: 'env-cmd-1',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: { team_id: TEAM, user_id: PLOY, channel_id: 'CGENERAL', command: '/closer', text: 'help', trigger_id: `trig-${randomUUID()}` },
    });
    await waitFor('command ack', () => fake.acks('env-cmd-1').length > 0);
    // Outside a DM the answer goes to the person's DM with the app.
    await waitFor('command reply', () => postsTo(PLOY).length > 0);

    const channel = newDm();
    fake.sendEnvelope(APP_TOKEN, {
      envelope_id: 'env-act-1',
      type: 'interactive',
      accepts_response_payload: false,
      payload: {
        type: 'block_actions',
        team: { id: TEAM },
        user: { id: PLOY, team_id: TEAM },
        channel: { id: channel },
        container: { type: 'message', message_ts: '1.1' },
        trigger_id: `trig-${randomUUID()}`,
        actions: [{ action_id: 'closer_0_0', block_id: 'b', value: JSON.stringify({ action: 'lookup_lead', args: { query: 'นก' } }) }],
      },
    });
    await waitFor('action ack', () => fake.acks('env-act-1').length > 0);
    const [reply] = await waitFor('reply to the press', () => postsTo(channel).length > 0 && postsTo(channel));
    expect((reply!.args.blocks as { type: string }[]).some((b) => b.type === 'header')).toBe(true);
  });

  it('acknowledges but ignores an envelope naming another workspace', async () => {
    const channel = newDm();
    fake.sendEnvelope(APP_TOKEN, eventsEnvelope('env-other-1', `Ev${randomUUID()}`, channel, 'help', 0, 'TSOMEONEELSE'));
    await waitFor('ack', () => fake.acks('env-other-1').length > 0);
    expect(await count('SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1', [channel])).toBe(0);
  });

  it('disconnects when the app stops', async () => {
    expect(fake.sockets.has(APP_TOKEN)).toBe(true);
    closed = true;
    await app.close();
    await waitFor('the socket to close', () => !fake.sockets.has(APP_TOKEN));
  });
});
