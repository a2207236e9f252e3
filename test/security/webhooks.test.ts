import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountDirectory } from '../../src/bots/accounts.ts';
import { LocalSessions } from '../../src/bots/local/auth.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { buildHttpApp } from '../../src/server.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { setupTargets, type FuzzTarget, type FuzzTargets } from '../../bench/fuzz/targets.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { testRedis } from '../helpers/redis.ts';
import { rawRequest } from './http.ts';

/**
 * Items 4, 8 and 10 and the low ones at the HTTP boundary: what an attacker
 * on the internet can send to a started server.
 */
let app: TestApp;
let setup: FuzzTargets;
const target = (name: string): FuzzTarget => setup.targets.find((t) => t.name === name)!;
const post = (t: FuzzTarget, body: Buffer, auth: 'valid' | 'forged' | 'missing', extra: Record<string, string> = {}) =>
  rawRequest(t.url, { method: 'POST', body, headers: { 'content-type': t.contentType, 'content-length': String(body.length), ...t.headers(body, auth), ...extra } });
const stored = async () =>
  withSystem(app.db, async (sql) => Number((await sql.query<{ n: string }>('SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM channel_identities) + (SELECT count(*) FROM leads) AS n')).rows[0]!.n));

beforeAll(async () => {
  app = await startTestApp({ http: true, workers: false, env: { METRICS_TOKEN: 'metrics-token-0123456789' } });
  setup = await setupTargets(app);
}, 120_000);
afterAll(async () => {
  await setup?.close();
  await app?.close();
});

describe('item 4: webhook denial of service', () => {
  it('an oversized body is refused with 413 before it is read or authenticated, on every channel', async () => {
    for (const t of setup.targets) {
      const body = Buffer.alloc(t.limitBytes + 10, 0x20);
      const res = await post(t, body, 'missing').catch((err: Error) => ({ status: `${t.name}: ${err.message}` }));
      expect(res.status, t.name).toBe(413);
    }
    // A body streamed without Content-Length is counted as it arrives.
    const chunked = await new Promise<number | string>((resolve) => {
      let answered = false;
      const req = http.request(target('telegram').url, { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } }, (res) => {
        answered = true;
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => setTimeout(() => resolve(answered ? 0 : `closed: ${err.message}`), 50));
      let sent = 0;
      const tick = () => {
        if (answered || sent >= 20) return void req.end();
        sent++;
        req.write(Buffer.alloc(64 * 1024, 0x20), () => setTimeout(tick, 5));
      };
      tick();
    });
    expect(chunked).toBe(413);
  });

  it('made-up Slack team ids are refused without a lookup, and unknown accounts are never cached', async () => {
    const body = Buffer.from(JSON.stringify({ type: 'event_callback', team_id: "T' OR 1=1 --", event_id: 'Ev1', event: { type: 'message' } }));
    expect((await post(target('slack-events'), body, 'forged')).status).toBe(400);
    const directory = new AccountDirectory(app.db, app.secrets);
    for (let i = 0; i < 200; i++) expect(await directory.byId(randomUUID())).toBeUndefined();
    for (let i = 0; i < 200; i++) expect(await directory.byExternalId('slack', `T${i}X`)).toBeUndefined();
    expect(directory.size).toBe(0);
  });

  it('url_verification on the shared Slack URL costs no HMAC per workspace: a workspace secret does not answer it', async () => {
    const body = Buffer.from(JSON.stringify({ token: 'x', type: 'url_verification', challenge: 'c' }));
    // Signed with a workspace's own signing secret (what a loop over every account would accept).
    expect((await post(target('slack-events'), body, 'valid')).status).toBe(401);
    expect(JSON.parse((await post(target('slack'), body, 'valid')).body)).toEqual({ challenge: 'c' });
  });

  it('an address that keeps failing is refused (429) before any work, even with a valid request; Redis keeps the count', async () => {
    const ip = `192.0.2.${Math.floor(Math.random() * 250) + 1}`;
    const limited = await startTestApp({ http: true, workers: false, db: app.db, env: { TRUST_PROXY: 'on' } });
    try {
      const t = { ...target('line'), url: target('line').url.replace(app.http!.url, limited.http!.url) };
      const statuses: number[] = [];
      for (let i = 0; i < 35; i++) statuses.push((await post(t, t.validBody(i), 'forged', { 'x-forwarded-for': ip })).status);
      expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
      const before = await stored();
      expect((await post(t, t.validBody(99), 'valid', { 'x-forwarded-for': ip })).status).toBe(429);
      expect(await stored()).toBe(before);
      // Another address is not affected.
      expect((await post(t, t.validBody(100), 'valid', { 'x-forwarded-for': '198.51.100.7' })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('item 10: malformed bodies', () => {
  const junk = [Buffer.alloc(0), Buffer.from('{'), Buffer.from('a=b&c'), Buffer.from([0xff, 0xfe, 0x00, 0x7b]), Buffer.from('{"update_id":"x"}'), Buffer.from('{"update_id":1,"message":5}'), Buffer.from('[]'), Buffer.from('null'), Buffer.from('{"events":[{"type":5}]}'), Buffer.from('{"type":"event_callback"}')];

  it('no channel answers a body it cannot parse with a 5xx, and nothing is stored', async () => {
    const before = await stored();
    for (const t of setup.targets) {
      for (const body of junk) {
        const res = await post(t, body, 'valid');
        expect(res.status, `${t.name} ${body.toString('latin1')}`).toBeLessThan(500);
      }
    }
    expect(await stored()).toBe(before);
  });

  it('Telegram acknowledges an unreadable update with 200 (it would retry a 4xx/5xx forever) and drops it', async () => {
    for (const body of junk) expect((await post(target('telegram'), body, 'valid')).status).toBe(200);
  });

  it('LINE checks the signature on the raw bytes: invalid UTF-8 correctly signed gets 400, not 401', async () => {
    const body = Buffer.concat([Buffer.from('{"destination":"U1","events":[{"type":"message","text":"'), Buffer.from([0xe0, 0xb8]), Buffer.from('"}]}')]);
    expect((await post(target('line'), body, 'valid')).status).toBe(400);
    expect((await post(target('line'), body, 'forged')).status).toBe(401);
  });

  it('Slack: a signed but malformed body gets 400, an unsigned one 401', async () => {
    const body = Buffer.from('{"type":"event_callback","team_id":');
    expect((await post(target('slack'), body, 'valid')).status).toBe(400);
    expect((await post(target('slack'), body, 'forged')).status).toBe(401);
    const notUtf8 = Buffer.concat([Buffer.from('{"type":"event_callback","team_id":"TFUZZ0001","x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect((await post(target('slack'), notUtf8, 'valid')).status).toBe(400);
  });
});

describe('item 8: /metrics', () => {
  it('needs the bearer token when METRICS_TOKEN is set', async () => {
    const url = `${app.http!.url}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('closer_alerts_24h');
  });

  it('without a token, only loopback clients (a forged X-Forwarded-For changes nothing), and gauges are cached', async () => {
    const open = await startTestApp({ http: true, workers: false, db: app.db, env: { TRUST_PROXY: 'on' } });
    try {
      const url = `${open.http!.url}/metrics`;
      expect((await fetch(url, { headers: { 'x-forwarded-for': '127.0.0.1' } })).status).toBe(200);
      const first = await (await fetch(url)).text();
      const tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
      await withTenant(app.db, tenantId, (sql) => sql.query(`INSERT INTO alerts (tenant_id, lead_id, kind, status, dedupe_key) SELECT $1, id, 'hot_lead', 'sent', 'metrics-cache-test' FROM leads LIMIT 1`, [tenantId]));
      // A scrape storm does not run the cross-tenant aggregates again: the next scrape within the cache period is the same text.
      expect(await (await fetch(url)).text()).toBe(first);
    } finally {
      await open.close();
    }
  });
});

describe('low: readiness and Teams anonymous mode', () => {
  it('/readyz says what is down without the driver\'s error text', async () => {
    const dead = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const guard = new Redis(testRedis().options);
    try {
      const http = buildHttpApp(app, { localToken: undefined, sessions: new LocalSessions(), redisProbe: dead, guardRedis: guard });
      const res = await http.request('/readyz');
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ status: 'not ready', database: 'ok', redis: 'unavailable' });
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|error/);
    } finally {
      dead.disconnect();
      guard.disconnect();
    }
  });

  it('an anonymous Teams account is refused unless MSTEAMS_ALLOW_ANONYMOUS=on (NODE_ENV defaults to development)', async () => {
    expect(app.config.env).toBe('development');
    const tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id;
    const id = await withTenant(app.db, tenantId, (sql) =>
      upsertAccount(sql, tenantId, app.secrets, { channel: 'msteams', name: 'Emulator bot', externalId: `anonymous:${randomUUID()}`, config: { anonymous: true }, apiBaseUrl: 'http://127.0.0.1:9' }),
    );
    const activity = { type: 'message', id: 'p-1', channelId: 'emulator', serviceUrl: 'http://127.0.0.1:9/', from: { id: 'user-1' }, recipient: { id: 'bot-1' }, conversation: { id: 'conv-1' }, text: 'help' };
    const before = await stored();
    const res = await fetch(`${app.http!.url}/webhooks/msteams/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
    expect(res.status).toBe(401);
    expect(await stored()).toBe(before);
  });

  it('Telegram: a wrong secret token is refused before the body is read (a large junk body gets 401, not a parse)', async () => {
    const res = await post(target('telegram'), Buffer.alloc(400 * 1024, 0x7b), 'forged');
    expect(res.status).toBe(401);
  });
});
