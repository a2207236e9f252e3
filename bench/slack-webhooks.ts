import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { App as BoltApp, HTTPReceiver } from '@slack/bolt';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { withSystem, withTenant } from '../src/db/tenant.ts';
import { upsertAccount } from '../src/bots/accounts.ts';
import { mapSlackUser } from '../src/bots/slack/staff.ts';
import { SecretBox } from '../src/core/secrets.ts';
import { createLogger } from '../src/log.ts';
import { FakeSlack, slackEvent, slackSignature } from '../test/fakes/slack.ts';
import { summarise } from './stats.ts';
import { openDemoDatabase } from './fixture.ts';
import { benchMain, ratio } from './lib/cli.ts';

/**
 * Slack Events API webhooks on loopback: acknowledgements per second and ack
 * latency through our ingest path (signature, team routing, staff lookup,
 * persist, enqueue; no workers), against a bare Bolt HTTPReceiver echo app
 * on the same fake Web API — the floor a Slack webhook reaches here.
 */
const SECRET = 'bench-signing-secret';
const TEAM = 'TBENCH0001';
const USER = 'UBENCHREP1';
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, body: string): Promise<number> {
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...slackSignature(SECRET, body, Math.floor(Date.now() / 1000)) };
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function hammer(url: string, n: number, concurrency: number): Promise<{ latencies: number[]; perSecond: number; errors: number }> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const body = slackEvent(TEAM, `Ev${randomUUID()}`, { type: 'message', channel_type: 'im', channel: `DBENCH${i % 200}`, user: USER, text: 'help', ts: `${Math.floor(Date.now() / 1000)}.${String(i).padStart(6, '0')}` });
        const s = performance.now();
        if ((await post(url, body)) !== 200) errors++;
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { latencies, perSecond: Math.round((n / (performance.now() - t0)) * 1000), errors };
}

export async function benchSlackWebhooks(opts: { requests: number; concurrency: number; redisUrl: string | undefined; databaseUrl?: string | undefined }): Promise<Record<string, unknown>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-bench-slack-'));
  const db = await openDemoDatabase({ databaseUrl: opts.databaseUrl });
  const fake = await new FakeSlack().start();
  const box = new SecretBox('1'.repeat(64));
  const tenantId = await withSystem(db, async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id);
  await withTenant(db, tenantId, async (sql) => {
    const id = await upsertAccount(sql, tenantId, box, { channel: 'slack', name: 'bench', externalId: TEAM, secrets: { bot_token: 'xoxb-bench', signing_secret: SECRET }, apiBaseUrl: fake.url });
    await mapSlackUser(sql, tenantId, id, USER, 'ploy@demo-clinic.example');
  });
  try {
    const config = loadConfig({ CLOSER_HOME: home, PORT: '0', HOST: '127.0.0.1', REDIS_PREFIX: `closer-bench-${randomUUID().slice(0, 8)}`, TURN_DEBOUNCE_MS: '0', DEMO_SEED: 'off', LOG_LEVEL: 'error', CLOSER_SECRET_KEY: '1'.repeat(64), ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}) });
    const app = await startApp({ config, log: createLogger('error'), http: true, workers: false, db });
    let ours: Awaited<ReturnType<typeof hammer>>;
    try {
      const url = `${app.http!.url}/webhooks/slack/events`;
      await hammer(url, Math.min(200, opts.requests), opts.concurrency);
      ours = await hammer(url, opts.requests, opts.concurrency);
    } finally {
      await app.stop();
    }

    const receiver = new HTTPReceiver({ signingSecret: SECRET });
    const bolt = new BoltApp({ receiver, token: 'xoxb-bench', botId: 'BBENCH', botUserId: 'UBOT', clientOptions: { slackApiUrl: fake.url } });
    bolt.message(async ({ message, say }) => {
      if ('text' in message && message.text) await say(message.text);
    });
    const server = http.createServer(receiver.requestListener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    let floor: Awaited<ReturnType<typeof hammer>>;
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
      await hammer(url, Math.min(200, opts.requests), opts.concurrency);
      floor = await hammer(url, opts.requests, opts.concurrency);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    const o = summarise(ours.latencies);
    const f = summarise(floor.latencies);
    return {
      name: 'slack_webhooks',
      requests: opts.requests,
      concurrency: opts.concurrency,
      ours_ingest: { acks_per_second: ours.perSecond, non_200: ours.errors, ack_ms: o },
      bare_bolt_echo: { acks_per_second: floor.perSecond, non_200: floor.errors, ack_ms: f },
      ratio_ours_to_bare: { throughput: Math.round((ours.perSecond / floor.perSecond) * 100) / 100, p50: Math.round((o.p50 / f.p50) * 100) / 100 },
    };
  } finally {
    await fake.stop();
    await db.close();
    agent.destroy();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

await benchMain(import.meta.url, 'slack_webhooks', async (ctx) => {
  const r = await benchSlackWebhooks({
    requests: Math.min(ctx.flag('--requests', ctx.quick ? 300 : 2000), 20_000),
    concurrency: ctx.flag('--concurrency', 32),
    redisUrl: ctx.redisUrl,
    databaseUrl: ctx.databaseUrl,
  });
  const ours = r.ours_ingest as { acks_per_second: number; ack_ms: { p99: number } };
  const bare = r.bare_bolt_echo as { acks_per_second: number; ack_ms: { p99: number } };
  return {
    figures: [
      {
        key: 'slack_ack_ratio',
        label: 'Slack event acks/s, ours / bare Bolt echo app',
        value: ratio(ours.acks_per_second, bare.acks_per_second) ?? null,
        unit: 'ratio',
        baseline: { label: 'bare Bolt echo acks/s', value: bare.acks_per_second },
        note: `${ours.acks_per_second} acks/s`,
      },
      { key: 'slack_ack_p99_ms', label: 'Slack event ack p99', value: ours.ack_ms.p99, unit: 'ms', baseline: { label: 'bare Bolt p99', value: bare.ack_ms.p99 } },
    ],
    detail: r,
  };
});
