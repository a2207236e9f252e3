import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { mapSlackUser } from '../../src/bots/slack/staff.ts';
import { runTurnJob } from '../../src/jobs/turns.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeSlack, slackEvent, slackSignature, type SlackCall } from '../fakes/slack.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Issue #12 item 2, attack: a shared Slack thread. A manager opens a thread
 * with the bot; a rep asks in that thread for "revenue last month by rep".
 * The bot must answer as the rep (her own numbers only), not as whoever
 * spoke first, and must never batch the two people's messages into one turn.
 */
const SECRET = 'shared-thread-signing-secret';
const TEAM = 'TSHARED001';
const KANYA = 'UKANYA0001'; // manager
const PLOY = 'UPLOY00001'; // rep
const OTHER_REPS = ['Mint Chaiyasit', 'Beam Thongchai', 'Fern Wongsakul', 'Jessica Tan'];

interface Setup {
  app: TestApp;
  tenantId: string;
  accountId: string;
}

async function setup(fake: FakeSlack, workers: boolean): Promise<Setup> {
  const app = await startTestApp({ http: true, workers });
  const tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
  const accountId = await withTenant(app.db, tenantId, async (sql) => {
    const id = await upsertAccount(sql, tenantId, app.secrets, {
      channel: 'slack',
      name: 'Shared thread workspace',
      externalId: TEAM,
      config: { bot_user_id: 'UBOT' },
      secrets: { bot_token: 'xoxb-shared', signing_secret: SECRET },
      apiBaseUrl: fake.url,
    });
    await mapSlackUser(sql, tenantId, id, KANYA, 'kanya@demo-clinic.example');
    await mapSlackUser(sql, tenantId, id, PLOY, 'ploy@demo-clinic.example');
    return id;
  });
  return { app, tenantId, accountId };
}

async function mention(app: TestApp, user: string, channel: string, text: string, ts: string, threadTs?: string): Promise<void> {
  const body = slackEvent(TEAM, `Ev${randomUUID()}`, { type: 'app_mention', channel, user, text: `<@UBOT> ${text}`, ts, ...(threadTs ? { thread_ts: threadTs } : {}) });
  const res = await fetch(`${app.http!.url}/webhooks/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...slackSignature(SECRET, body, Math.floor(Date.now() / 1000)) },
    body,
  });
  expect(res.status).toBe(200);
}

// Slack ts values a tenth of a second apart (the stored time keeps milliseconds), in one second fixed per file.
const SECOND = Math.floor(Date.now() / 1000);
const nowTs = (offset: number) => `${SECOND}.${String(offset * 100_000).padStart(6, '0')}`;

let fake: FakeSlack;
beforeAll(async () => {
  fake = await new FakeSlack().start();
});
afterAll(async () => {
  await fake?.stop();
});

describe('a shared Slack thread: the bot acts as whoever sent each message (attack)', () => {
  it('a rep asking "revenue last month by rep" in a manager\'s thread gets only her own numbers', async () => {
    const { app } = await setup(fake, true);
    try {
      const channel = `C${randomUUID().slice(0, 8).toUpperCase()}`;
      const root = nowTs(1);
      const threadPosts = () => fake.posts((c: SlackCall) => c.args.channel === channel && c.args.thread_ts === root);
      await mention(app, KANYA, channel, 'help', root);
      await waitFor('the manager is answered', () => threadPosts().length > 0);
      const before = threadPosts().length;
      await mention(app, PLOY, channel, 'revenue last month by rep', nowTs(2), root);
      const posts = await waitFor('the rep is answered', () => threadPosts().length > before && threadPosts().slice(before));
      const answer = posts.map((p) => `${String(p.args.text)} ${JSON.stringify(p.args.blocks ?? [])}`).join('\n');
      expect(answer).toContain('your own numbers');
      for (const name of [...OTHER_REPS, 'Kanya Srisawat']) expect(answer).not.toContain(name);
    } finally {
      await app.close();
    }
  });

  it('messages of two people waiting together are never one turn: each turn acts as its own sender', async () => {
    // No workers: both messages are stored before any turn runs, then the turn job runs by hand (the same code the worker runs).
    const { app, tenantId } = await setup(fake, false);
    try {
      const channel = `C${randomUUID().slice(0, 8).toUpperCase()}`;
      const root = nowTs(1);
      await mention(app, KANYA, channel, 'revenue last month by rep', root);
      await mention(app, PLOY, channel, 'revenue last month by rep', nowTs(2), root);
      const inbound = await withTenant(app.db, tenantId, async (sql) =>
        (
          await sql.query<{ id: string; conversation_id: string; sender_staff_user_id: string; email: string }>(
            `SELECT m.id, m.conversation_id, m.sender_staff_user_id, s.email FROM messages m JOIN conversations c ON c.id = m.conversation_id
             JOIN staff_users s ON s.id = m.sender_staff_user_id WHERE c.external_chat_id LIKE $1 AND m.direction = 'in' ORDER BY m.created_at`,
            [`${channel}%`],
          )
        ).rows,
      );
      expect(inbound.map((m) => m.email)).toEqual(['kanya@demo-clinic.example', 'ploy@demo-clinic.example']);
      expect(new Set(inbound.map((m) => m.conversation_id)).size).toBe(1);
      const deps = { db: app.db, log: app.log, bus: app.bus, queues: app.queues, agent: app.agent, turnTimeoutMs: 20_000 };
      const job = { tenantId, conversationId: inbound[0]!.conversation_id, messageId: inbound[0]!.id };
      expect(await runTurnJob(deps, job)).toBe('done');
      expect(await runTurnJob(deps, job)).toBe('done');
      expect(await runTurnJob(deps, job)).toBe('nothing-to-do');
      const turns = await withTenant(app.db, tenantId, async (sql) =>
        (
          await sql.query<{ id: string; turn_id: string; reply: string }>(
            `SELECT i.id, i.turn_id, string_agg(o.text || ' ' || o.parts::text, ' ') AS reply FROM messages i JOIN messages o ON o.turn_id = i.turn_id AND o.direction = 'out'
             WHERE i.id = ANY($1::uuid[]) GROUP BY i.id, i.turn_id`,
            [inbound.map((m) => m.id)],
          )
        ).rows,
      );
      const byId = new Map(turns.map((t) => [t.id, t]));
      const manager = byId.get(inbound[0]!.id)!;
      const rep = byId.get(inbound[1]!.id)!;
      expect(manager.turn_id).not.toBe(rep.turn_id);
      // The manager sees the team; the rep, asking the same in the same thread, sees only herself.
      expect(manager.reply).toContain('Mint Chaiyasit');
      expect(rep.reply).toContain('your own numbers');
      for (const name of OTHER_REPS) expect(rep.reply).not.toContain(name);
    } finally {
      await app.close();
    }
  });
});
