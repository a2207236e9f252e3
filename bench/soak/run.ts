import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openServerDatabase, redactUrl, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { SecretBox } from '../../src/core/secrets.ts';
import { createLogger } from '../../src/log.ts';
import { FakeTelegram, type TelegramSent } from '../../test/fakes/telegram.ts';
import { summarise } from '../stats.ts';

/**
 * Scale-out soak (issue #11): the real `closer web` and `closer worker`
 * processes on a fresh server database, connecting as a login role that is
 * only a member of closer_app, with a private Redis, fake Telegram Bot APIs,
 * customers on many chats (some updates delivered four times, to either web
 * process), one worker killed with SIGKILL and Redis restarted mid-run.
 * Then it checks, from the fake platform's log and the database: every update
 * answered exactly once (nothing lost, no duplicate reply, each chat's order
 * kept) and every follow-up due in the window sent exactly once.
 *
 *   npm run soak [-- --database-url URL] [--updates 10000] [--chats 2000] [--keep]
 *
 * JSON summary on stdout, progress on stderr, exit code 1 when a check fails.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET_KEY = 'a1'.repeat(32);
const WEBHOOK_SECRET = 'soak-secret-token';
const LOGIN_ROLE = 'closer_soak_login';
// Customer messages the demo-realty rules agent answers (not "I don't know", which after a few in a row hands the chat to a human and silences it).
const TEXTS = ['hello', 'what villas do you have in Riyadh?', 'help', 'villas in Riyadh', 'hello again'];

interface Options {
  databaseUrl: string;
  updates: number;
  chats: number;
  dupRate: number;
  bots: number;
  concurrency: number;
  webs: number;
  workers: number;
  followups: number;
  redisPort: number;
  replyTimeoutMs: number;
  thinkMs: number;
  keep: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, def: number, min: number, max: number): number => {
    const v = get(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number from ${min} to ${max}, got "${v}"`);
    return n;
  };
  const updates = num('--updates', 10_000, 10, 100_000);
  const chats = num('--chats', Math.min(2_000, Math.max(1, Math.floor(updates / 5))), 1, 50_000);
  return {
    databaseUrl: get('--database-url') ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    updates,
    chats,
    dupRate: num('--dup-rate', 0.1, 0, 1),
    bots: num('--bots', 8, 1, 100),
    concurrency: num('--concurrency', 100, 1, 50_000),
    webs: num('--webs', 2, 1, 8),
    workers: num('--workers', 3, 2, 16),
    followups: num('--followups', Math.max(1, Math.round(chats / 10)), 0, 50_000),
    redisPort: num('--redis-port', 6390, 1024, 65535),
    replyTimeoutMs: num('--reply-timeout-ms', 120_000, 1_000, 600_000),
    thinkMs: num('--think-ms', 1000, 0, 60_000),
    keep: argv.includes('--keep'),
    profile: argv.includes('--profile'),
  };
}

const log = (msg: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withDatabase(url: string, name: string, user?: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  if (user) {
    u.username = user;
    u.password = '';
  }
  return u.toString();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------
// Database: a fresh one, migrated and seeded as the owner; the app's login role.

async function prepareDatabase(opts: Options): Promise<{ name: string; ownerUrl: string; appUrl: string; admin: Database }> {
  const quiet = createLogger('warn');
  const admin = await openServerDatabase(opts.databaseUrl, quiet, 2);
  const name = `closer_soak_${Date.now().toString(36)}_${randomUUID().slice(0, 4)}`;
  await admin.pool.query(`CREATE DATABASE ${name}`);
  const ownerUrl = withDatabase(opts.databaseUrl, name);
  const owner = await openServerDatabase(ownerUrl, quiet, 4);
  try {
    const t0 = performance.now();
    await migrate(owner);
    const { seedDemo } = await import('../../src/db/seed/index.ts');
    await seedDemo(owner, { tenants: ['demo-realty'] });
    log(`database ${name}: migrated and seeded in ${Math.round(performance.now() - t0)} ms`);
    // The app's login role: LOGIN, nothing else but membership of closer_app (roles are per cluster: re-used between runs).
    await owner.pool.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${LOGIN_ROLE}') THEN
        CREATE ROLE ${LOGIN_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD 'soak-only-password';
      END IF;
    END $$`);
    await owner.pool.query(`GRANT closer_app TO ${LOGIN_ROLE}`);
    await owner.pool.query(`GRANT CONNECT ON DATABASE ${name} TO ${LOGIN_ROLE}`);
    const role = (
      await owner.pool.query<{ rolsuper: boolean; rolbypassrls: boolean; member_of: string[]; owns: number }>(
        `SELECT r.rolsuper, r.rolbypassrls,
           ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) AS member_of,
           (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid) AS owns
         FROM pg_roles r WHERE r.rolname = $1`,
        [LOGIN_ROLE],
      )
    ).rows[0]!;
    if (role.rolsuper || role.rolbypassrls || role.owns > 0 || role.member_of.join(',') !== 'closer_app')
      throw new Error(`the login role ${LOGIN_ROLE} must be only a member of closer_app: ${JSON.stringify(role)}`);
    // Follow-ups may go out at any hour of the run (quiet hours would hold them to the morning).
    await owner.pool.query(`UPDATE tenants SET settings = settings || '{"quiet_hours": {"start": "00:00", "end": "00:00"}}'::jsonb`);
  } finally {
    await owner.close();
  }
  return { name, ownerUrl, appUrl: withDatabase(opts.databaseUrl, name, LOGIN_ROLE), admin };
}

async function registerBots(ownerUrl: string, fakes: FakeTelegram[]): Promise<{ tenantId: string; accountIds: string[] }> {
  const db = await openServerDatabase(ownerUrl, createLogger('warn'), 2);
  try {
    const tenantId = await withSystem(db, async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id);
    const box = new SecretBox(SECRET_KEY);
    const accountIds: string[] = [];
    for (const [i, fake] of fakes.entries()) {
      accountIds.push(
        await withTenant(db, tenantId, (sql) =>
          upsertAccount(sql, tenantId, box, { channel: 'telegram', name: `soak bot ${i + 1}`, externalId: fake.botId, secrets: { token: fake.token, secretToken: WEBHOOK_SECRET }, apiBaseUrl: fake.url }),
        ),
      );
    }
    return { tenantId, accountIds };
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------
// Processes: a private Redis, the web and worker processes.

interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

function startProc(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, dir: string): Proc {
  const logFile = path.join(dir, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, logFile, exited };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void proc?.exited.then(() => (dead = true));
  for (;;) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    if (dead) throw new Error(`${what}: the process exited; its log: ${proc!.logFile}\n${fs.readFileSync(proc!.logFile, 'utf8').slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms${proc ? ` (log: ${proc.logFile})` : ''}`);
    await sleep(100);
  }
}

async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

function startRedis(port: number, dir: string): Proc {
  // Append-only with an fsync every second: a restart keeps the jobs (what docker-compose.yml runs too).
  return startProc(`redis-${Date.now()}`, process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir], process.env, dir);
}

async function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      resolve(d.toString().startsWith('+PONG'));
      s.destroy();
    });
  });
}

// ---------------------------------------------------------------------------
// The customers.

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, timeout: 30_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

interface Chat {
  chatId: string;
  bot: number;
  /** update ids in the order this customer sent them. */
  updates: number[];
  /** Sends seen by the fake for this chat, in arrival order. */
  received: TelegramSent[];
  waiters: (() => void)[];
  doneAt?: number;
}

interface Counters {
  posts: number;
  non200: number;
  retries: number;
  duplicatesPosted: number;
  replyTimeouts: number;
}

export async function soak(opts: Options): Promise<{ summary: Record<string, unknown>; failures: string[] }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-soak-'));
  log(`work dir ${work}; database server ${redactUrl(opts.databaseUrl)}`);
  const fakes = await Promise.all(Array.from({ length: opts.bots }, (_, i) => new FakeTelegram(`${7_100_000 + i * 13 + randomInt(1, 12)}:${'S'.repeat(35)}`).start()));
  const { name: dbName, ownerUrl, appUrl, admin } = await prepareDatabase(opts);
  const { accountIds } = await registerBots(ownerUrl, fakes);
  const procs: Proc[] = [];
  // A web or worker process that ends on its own (a crash) fails the run; the one the soak kills does not.
  const expectedExit = new Set<Proc>();
  let shuttingDown = false;
  const crashes: string[] = [];
  const watch = (p: Proc) =>
    void p.exited.then((code) => {
      if (!shuttingDown && !expectedExit.has(p)) crashes.push(`${p.name} exited on its own (code ${code}); its log: ${p.logFile}`);
    });
  let redis = startRedis(opts.redisPort, work);
  const failures: string[] = [];
  try {
    await waitFor('redis', () => redisPing(opts.redisPort), 10_000, redis);
    const ports = await Promise.all(Array.from({ length: opts.webs }, () => freePort()));
    const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATABASE_URL: appUrl,
      REDIS_URL: `redis://127.0.0.1:${opts.redisPort}`,
      REDIS_PREFIX: 'soak',
      CLOSER_SECRET_KEY: SECRET_KEY,
      CLOSER_HOME: path.join(work, 'home'),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LLM_PROVIDER: 'none',
      DEMO_SEED: 'off',
      ...extra,
    });
    const webs = ports.map((port, i) => startProc(`web-${i + 1}`, process.execPath, ['bin/closer.js', 'web'], env({ PORT: String(port) }), work));
    procs.push(...webs);
    webs.forEach(watch);
    let workerSeq = 0;
    const startWorker = () => {
      // --profile: each worker writes a V8 CPU profile into the work dir when it stops (with --keep, to look at).
      const prof = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', work] : [];
      const p = startProc(`worker-${++workerSeq}`, process.execPath, [...prof, 'bin/closer.js', 'worker'], env({}), work);
      procs.push(p);
      watch(p);
      return p;
    };
    const workers = Array.from({ length: opts.workers }, startWorker);
    await Promise.all(webs.map((w, i) => waitFor(w.name, async () => (await fetch(`http://127.0.0.1:${ports[i]}/readyz`)).ok, 60_000, w)));
    await Promise.all(workers.map((w) => waitFor(w.name, () => fs.readFileSync(w.logFile, 'utf8').includes('worker ready'), 60_000, w)));
    log(`${opts.webs} web (ports ${ports.join(', ')}) and ${opts.workers} worker processes ready, as ${LOGIN_ROLE}`);

    // --- customers
    const perChat = Math.max(1, Math.floor(opts.updates / opts.chats));
    const chats: Chat[] = Array.from({ length: opts.chats }, (_, i) => ({ chatId: String(600_000_000 + i), bot: i % opts.bots, updates: [], received: [], waiters: [] }));
    const byChat = new Map(chats.map((c) => [c.chatId, c]));
    for (const fake of fakes)
      fake.onSent = (s) => {
        const c = byChat.get(s.chatId);
        if (!c) return;
        c.received.push(s);
        for (const w of c.waiters.splice(0)) w();
      };
    const counters: Counters = { posts: 0, non200: 0, retries: 0, duplicatesPosted: 0, replyTimeouts: 0 };
    const sentAt = new Map<number, number>(); // update id → first post
    const turnMs: number[] = [];
    let nextUpdateId = 1_000;
    let answered = 0;
    const total = perChat * opts.chats;
    const url = (bot: number, port: number) => `http://127.0.0.1:${port}/webhooks/telegram/${accountIds[bot]}`;
    const body = (c: Chat, id: number, text: string) =>
      JSON.stringify({ update_id: id, message: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: Number(c.chatId), type: 'private', first_name: 'Soak' }, from: { id: Number(c.chatId), is_bot: false, first_name: 'Soak', last_name: c.chatId, language_code: 'en' }, text } });
    // Like Telegram: a non-200 answer (or no answer) is retried, to either web process.
    const deliver = async (c: Chat, payload: string) => {
      for (let attempt = 0; attempt < 60; attempt++) {
        if (crashes.length) return; // the run has failed already: stop rather than retry into a dead process
        counters.posts++;
        const status = await post(url(c.bot, ports[randomInt(ports.length)]!), payload);
        if (status === 200) return;
        counters.non200++;
        counters.retries++;
        await sleep(500 + attempt * 250);
      }
      failures.push(`chat ${c.chatId}: an update was refused 60 times`);
    };
    const waitForReply = (c: Chat, count: number, timeoutMs: number) =>
      new Promise<boolean>((resolve) => {
        if (c.received.length > count) return resolve(true);
        const timer = setTimeout(() => resolve(false), timeoutMs);
        c.waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }).then((ok) => (ok || c.received.length > count ? true : false));

    const background: Promise<void>[] = [];
    const runChat = async (c: Chat) => {
      for (let k = 0; k < perChat; k++) {
        if (crashes.length) return;
        const id = nextUpdateId++;
        c.updates.push(id);
        const payload = body(c, id, TEXTS[k % TEXTS.length]!);
        const before = c.received.length;
        const t0 = performance.now() + performance.timeOrigin;
        sentAt.set(id, t0);
        const dup = Math.random() < opts.dupRate;
        const first = deliver(c, payload);
        if (dup) {
          // Delivered 4 times in all: one copy at once (likely the other web process), one a moment later, one after the reply.
          counters.duplicatesPosted += 3;
          background.push(deliver(c, payload), sleep(randomInt(20, 400)).then(() => deliver(c, payload)));
        }
        await first;
        const ok = await waitForReply(c, before, opts.replyTimeoutMs);
        if (ok) {
          turnMs.push(c.received[before]!.at - t0);
          answered++;
          if (answered % Math.max(1, Math.round(total / 20)) === 0) log(`${answered}/${total} updates answered`);
        } else counters.replyTimeouts++;
        if (dup) background.push(sleep(randomInt(0, 1_000)).then(() => deliver(c, payload)));
        // The customer reads the answer (and Telegram's one message a second per chat applies anyway).
        await sleep(opts.thinkMs + randomInt(0, Math.max(1, opts.thinkMs)));
      }
      c.doneAt = Date.now();
    };

    // The owner's view of the database, for the chaos bookkeeping and the checks.
    const check = await openServerDatabase(ownerUrl, createLogger('warn'), 2);
    // Replies the killed worker had claimed ('sending') when it died: whether the platform got them is unknowable
    // (Telegram has no idempotency key), so the product sends them again after the lease — at most one extra copy each.
    const inDoubt = new Set<string>();

    // Chaos, at fixed points of progress.
    const chaos: Record<string, unknown> = {};
    let chaosDone = Promise.resolve();
    const watchChaos = (async () => {
      await waitFor('40% answered', () => answered >= total * 0.4, 3_600_000);
      const victim = workers[1]!;
      chaos.worker_killed_at_answered = answered;
      log(`SIGKILL ${victim.name} (pid ${victim.child.pid})`);
      expectedExit.add(victim);
      victim.child.kill('SIGKILL');
      await victim.exited;
      const sending = async () => (await check.pool.query<{ id: string }>(`SELECT id FROM messages WHERE direction = 'out' AND status = 'sending'`)).rows.map((r) => r.id);
      const atKill = new Set(await sending());
      await sleep(3_000);
      // Still 'sending' three seconds later: the dead worker's (a live one finishes a send in milliseconds).
      for (const id of await sending()) if (atKill.has(id)) inDoubt.add(id);
      chaos.replies_in_flight_in_killed_worker = inDoubt.size;
      // Its replacement, as a supervisor (Kubernetes, compose restart policy) would start.
      const replacement = startWorker();
      chaosDone = waitFor(replacement.name, () => fs.readFileSync(replacement.logFile, 'utf8').includes('worker ready'), 60_000, replacement);
      await waitFor('65% answered', () => answered >= total * 0.65, 3_600_000);
      chaos.redis_restarted_at_answered = answered;
      log('restarting Redis (SIGTERM: it writes its append-only file, then starts from it)');
      await stopProc(redis);
      const downAt = Date.now();
      await sleep(1_500);
      redis = startRedis(opts.redisPort, work);
      await waitFor('redis restart', () => redisPing(opts.redisPort), 20_000, redis);
      chaos.redis_down_ms = Date.now() - downAt;
    })();
    watchChaos.catch((err: Error) => failures.push(`chaos: ${err.message}`));

    log(`${opts.chats} chats × ${perChat} updates (${Math.round(opts.dupRate * 100)} % delivered 4 times), ${opts.concurrency} chats at a time, over ${opts.bots} bots`);
    const tStart = performance.now();
    let next = 0;
    const followupLeads: string[] = [];
    await Promise.all(
      Array.from({ length: Math.min(opts.concurrency, chats.length) }, async () => {
        while (next < chats.length) await runChat(chats[next++]!);
      }),
    );
    const tAnswered = performance.now();
    await Promise.all(background);
    if (answered < total * 0.65) failures.push('the run ended before the chaos points (40 % and 65 % answered)');
    await Promise.race([watchChaos, sleep(30_000)]);
    await chaosDone.catch((err: Error) => failures.push(`replacement worker: ${err.message}`));

    // Follow-ups: a rep schedules one for some customers, due a few seconds from now; the workers' scheduler must send each once.
    const owner = await openServerDatabase(ownerUrl, createLogger('warn'), 2);
    let followupIds: string[] = [];
    const fuStart = Date.now();
    try {
      const picked = chats.slice(0, opts.followups).map((c) => c.chatId);
      followupIds = await withSystem(owner, async (sql) => {
        const { rows } = await sql.query<{ id: string; lead_id: string }>(
          `WITH l AS (
             UPDATE leads SET consent = 'opted_in' WHERE id IN (
               SELECT c.lead_id FROM conversations c WHERE c.channel = 'telegram' AND c.external_chat_id = ANY($1::text[]) AND c.lead_id IS NOT NULL)
             RETURNING id, tenant_id)
           INSERT INTO followup_executions (tenant_id, lead_id, due_at, channel)
           SELECT tenant_id, id, now() + (random() * interval '10 seconds'), 'telegram' FROM l RETURNING id, lead_id`,
          [picked],
        );
        followupLeads.push(...rows.map((r) => r.lead_id));
        return rows.map((r) => r.id);
      });
    } finally {
      await owner.close();
    }
    log(`${followupIds.length} follow-ups scheduled, due within 10 s; waiting for them and any straggling replies`);

    // Quiet period: until every follow-up is final and nothing is pending, or 150 s (scheduler passes run every 30 s).
    try {
      const deadline = Date.now() + 150_000;
      for (;;) {
        const s = (
          await check.pool.query<{ open_fu: number; open_in: number; open_out: number }>(
            `SELECT (SELECT count(*)::int FROM followup_executions WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'sending')) AS open_fu,
                    (SELECT count(*)::int FROM messages WHERE direction = 'in' AND status IN ('received', 'processing')) AS open_in,
                    (SELECT count(*)::int FROM messages WHERE direction = 'out' AND status IN ('pending', 'sending')) AS open_out`,
            [followupIds],
          )
        ).rows[0]!;
        if (s.open_fu === 0 && s.open_in === 0 && s.open_out === 0) break;
        if (Date.now() > deadline) {
          log(`still open after the quiet period: ${JSON.stringify(s)}`);
          break;
        }
        await sleep(1_000);
      }
      const fuSeconds = (Date.now() - fuStart) / 1000;
      // A few more seconds: a duplicate send would show up now, not later.
      await sleep(3_000);

      // --- checks
      const fakeSends = fakes.flatMap((f, bot) => f.sent.map((s) => ({ ...s, bot })));
      const inbound = (
        await check.pool.query<{ chat: string; platform_message_id: string; status: string; id: string }>(
          `SELECT c.external_chat_id AS chat, m.platform_message_id, m.status, m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
           WHERE m.direction = 'in' AND c.channel = 'telegram' ORDER BY m.created_at, m.id`,
        )
      ).rows;
      const outbound = (
        await check.pool.query<{ chat: string; id: string; status: string; platform_sent_id: string | null; reply_to_id: string | null; text: string; created_at: Date; fu: string | null }>(
          `SELECT c.external_chat_id AS chat, m.id, m.status, m.platform_sent_id, m.reply_to_id, m.text, m.created_at,
                  (SELECT f.id::text FROM followup_executions f WHERE f.message_id = m.id) AS fu
           FROM messages m JOIN conversations c ON c.id = m.conversation_id
           WHERE m.direction = 'out' AND c.channel = 'telegram' ORDER BY m.created_at, m.id`,
        )
      ).rows;
      const fuRows = (await check.pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM followup_executions WHERE id = ANY($1::uuid[]) GROUP BY 1`, [followupIds])).rows;

      const inByPlatformId = new Map<string, typeof inbound>();
      for (const m of inbound) inByPlatformId.set(m.platform_message_id, [...(inByPlatformId.get(m.platform_message_id) ?? []), m]);
      const inById = new Map(inbound.map((m) => [m.id, m]));
      let lost = 0;
      let storedTwice = 0;
      let unanswered = 0;
      let duplicateReplies = 0;
      let orderViolations = 0;
      let resentAfterCrash = 0;
      const detail: string[] = [];
      const outByChat = new Map<string, typeof outbound>();
      for (const o of outbound) outByChat.set(o.chat, [...(outByChat.get(o.chat) ?? []), o]);
      const sendsByChat = new Map<string, typeof fakeSends>();
      for (const s of fakeSends) sendsByChat.set(s.chatId, [...(sendsByChat.get(s.chatId) ?? []), s]);
      for (const c of chats) {
        const outs = outByChat.get(c.chatId) ?? [];
        const sends = sendsByChat.get(c.chatId) ?? [];
        // 1. Every update stored once and answered once (one turn per update: the chat waits for its answer).
        const turnsAnswered = new Map<string, number>();
        for (const o of outs) if (o.reply_to_id) turnsAnswered.set(o.reply_to_id, (turnsAnswered.get(o.reply_to_id) ?? 0) + 1);
        for (const u of c.updates) {
          const rows = inByPlatformId.get(String(u)) ?? [];
          if (rows.length === 0) {
            lost++;
            if (detail.length < 20) detail.push(`chat ${c.chatId}: update ${u} never stored`);
            continue;
          }
          if (rows.length > 1) storedTwice++;
          const r = rows[0]!;
          if (r.status !== 'handled' || !turnsAnswered.has(r.id)) {
            unanswered++;
            if (detail.length < 20) detail.push(`chat ${c.chatId}: update ${u} is ${r.status}, ${turnsAnswered.has(r.id) ? 'answered' : 'no reply row'}`);
          }
        }
        // 2. Each reply row reached the platform exactly once: the platform's ids match the rows' one to one.
        const rowIds = new Set(outs.map((o) => o.platform_sent_id).filter((x): x is string => x !== null));
        const notSent = outs.filter((o) => o.status !== 'sent');
        if (notSent.length) {
          unanswered += notSent.filter((o) => !o.fu).length;
          if (detail.length < 20) detail.push(`chat ${c.chatId}: ${notSent.length} reply rows not sent (${notSent.map((o) => o.status).join(',')})`);
        }
        let extra = sends.filter((s) => !rowIds.has(String(s.messageId)));
        // A first copy of an in-doubt reply (its row now holds the second copy's id) is the documented at-least-once
        // case: at most one unaccounted platform message per in-doubt row of the chat (texts differ: Telegram gets HTML).
        const doubtful = outs.filter((x) => inDoubt.has(x.id)).length;
        if (doubtful > 0 && extra.length > 0) {
          const n = Math.min(doubtful, extra.length);
          resentAfterCrash += n;
          extra = extra.slice(n);
        }
        if (extra.length) {
          duplicateReplies += extra.length;
          if (detail.length < 20) detail.push(`chat ${c.chatId}: ${extra.length} platform messages no reply row accounts for (sent twice): ${extra.map((s) => JSON.stringify(s.text.slice(0, 40))).join(' | ')}`);
        }
        // 3. Order: the platform saw the rows in the order they were written, and the rows answer the updates in the order they were sent.
        const sentOrder = sends.map((s) => String(s.messageId)).filter((id) => rowIds.has(id));
        const rowOrder = outs.filter((o) => o.status === 'sent').map((o) => o.platform_sent_id!);
        const answeredUpdates = outs.filter((o) => o.reply_to_id).map((o) => Number(inById.get(o.reply_to_id!)?.platform_message_id));
        const monotonic = answeredUpdates.every((u, i) => i === 0 || u >= answeredUpdates[i - 1]!);
        if (sentOrder.join() !== rowOrder.join() || !monotonic) {
          orderViolations++;
          if (detail.length < 20) detail.push(`chat ${c.chatId}: order differs (platform ${sentOrder.join(',')} vs rows ${rowOrder.join(',')}; updates answered ${answeredUpdates.join(',')})`);
        }
      }
      // 4. Follow-ups: each due one sent exactly once (one row, one platform message).
      const fuOut = outbound.filter((o) => o.fu);
      const fuPerExec = new Map<string, number>();
      for (const o of fuOut) fuPerExec.set(o.fu!, (fuPerExec.get(o.fu!) ?? 0) + 1);
      const fuSent = fuRows.find((r) => r.status === 'sent')?.n ?? 0;
      const fuDelivered = fuOut.filter((o) => o.status === 'sent').length;

      const seconds = (tAnswered - tStart) / 1000;
      const distinct = chats.reduce((n, c) => n + c.updates.length, 0);
      const summary = {
        name: 'soak',
        database: `${redactUrl(opts.databaseUrl)} → ${dbName} (app connects as ${LOGIN_ROLE}, member of closer_app only)`,
        shape: { web: opts.webs, workers: opts.workers, redis: `private redis-server :${opts.redisPort}, appendonly`, bots: opts.bots, chats: opts.chats, updates: distinct, updates_per_chat: perChat, delivered_4_times: Math.round(counters.duplicatesPosted / 3), concurrency: opts.concurrency, think_ms: opts.thinkMs },
        chaos,
        posts: counters,
        updates: { distinct, answered_in_window: answered, lost, stored_twice: storedTwice, unanswered, duplicate_replies: duplicateReplies, chats_out_of_order: orderViolations },
        killed_worker: {
          replies_in_flight: inDoubt.size,
          sent_twice_because_in_flight: resentAfterCrash,
          note: 'a reply the killed worker was sending may already be on the platform; it is sent again after the 60 s lease (Telegram has no idempotency key), so it can arrive twice',
        },
        replies: { rows: outbound.length - fuOut.length, platform_messages: fakeSends.length - fuDelivered },
        followups: { scheduled: followupIds.length, sent: fuSent, delivered: fuDelivered, sent_more_than_once: [...fuPerExec.values()].filter((n) => n > 1).length, by_status: Object.fromEntries(fuRows.map((r) => [r.status, r.n])), seconds_to_all_final: Math.round(fuSeconds) },
        throughput: { seconds: Math.round(seconds * 10) / 10, updates_per_second: Math.round((distinct / seconds) * 10) / 10 },
        turn_ms: summarise(turnMs),
        problems: detail,
      };
      if (lost) failures.push(`${lost} updates lost`);
      if (storedTwice) failures.push(`${storedTwice} updates stored twice`);
      if (unanswered) failures.push(`${unanswered} updates or replies not answered/sent`);
      if (duplicateReplies) failures.push(`${duplicateReplies} duplicate replies`);
      if (orderViolations) failures.push(`${orderViolations} chats out of order`);
      if (fuSent !== followupIds.length || fuDelivered !== followupIds.length) failures.push(`follow-ups: ${followupIds.length} due, ${fuSent} marked sent, ${fuDelivered} delivered`);
      if ([...fuPerExec.values()].some((n) => n > 1)) failures.push('a follow-up was sent more than once');
      failures.push(...crashes);
      if (counters.replyTimeouts) failures.push(`${counters.replyTimeouts} replies did not come within ${opts.replyTimeoutMs} ms`);
      return { summary, failures };
    } finally {
      await check.close();
    }
  } finally {
    shuttingDown = true;
    for (const p of procs) await stopProc(p).catch(() => undefined);
    await stopProc(redis).catch(() => undefined);
    for (const f of fakes) await f.close();
    agent.destroy();
    if (!opts.keep) {
      await admin.pool.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((err: Error) => log(`could not drop ${dbName}: ${err.message}`));
      fs.rmSync(work, { recursive: true, force: true });
    } else log(`kept database ${dbName} and ${work} (logs)`);
    await admin.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const { summary, failures } = await soak(opts);
  const u = summary.updates as Record<string, number>;
  const f = summary.followups as Record<string, number>;
  const k = summary.killed_worker as Record<string, number>;
  const t = summary.turn_ms as { p50: number; p99: number };
  const th = summary.throughput as { updates_per_second: number; seconds: number };
  process.stdout.write(JSON.stringify({ ...summary, ok: failures.length === 0, failures, wall_seconds: Math.round((Date.now() - t0) / 1000) }, null, 2) + '\n');
  process.stderr.write(
    [
      '',
      `updates: ${u.distinct} distinct, lost ${u.lost}, stored twice ${u.stored_twice}, unanswered ${u.unanswered}, duplicate replies ${u.duplicate_replies}, chats out of order ${u.chats_out_of_order}`,
      `follow-ups: ${f.scheduled} due, ${f.sent} sent, ${f.sent_more_than_once} sent more than once`,
      `killed worker: ${k.replies_in_flight} replies in flight, ${k.sent_twice_because_in_flight} of them reached the platform twice (at-least-once for in-flight sends)`,
      `throughput: ${th.updates_per_second} updates/s over ${th.seconds} s; turn latency p50 ${t.p50} ms, p99 ${t.p99} ms`,
      failures.length ? `FAILED:\n  ${failures.join('\n  ')}` : 'OK: every update answered exactly once, in order; every follow-up sent once',
      '',
    ].join('\n'),
  );
  process.exit(failures.length ? 1 : 0);
}
