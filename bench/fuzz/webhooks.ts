import http from 'node:http';
import type { App } from '../../src/app.ts';
import { withSystem } from '../../src/db/tenant.ts';
import type { Auth, FuzzTarget, FuzzTargets } from './targets.ts';

/**
 * A webhook fuzzer: generated bodies (truncated, oversized, wrong types,
 * invalid UTF-8, random bytes, forms, deep nesting, replays) sent to every
 * channel route of a running app, half of them correctly signed so they get
 * past authentication and reach the parsers. Deterministic for a seed.
 * Reports crashes (requests that got no response), 5xx answers, rows stored
 * by unauthenticated requests, and the process's memory before and after.
 */
export interface FuzzOptions {
  perRoute: number;
  /** Stops early (reported as timedOut) when the whole run takes longer. */
  timeBudgetMs: number;
  seed: number;
  concurrency: number;
  /** Heap growth over the run allowed before the report says it failed. */
  heapBoundMb: number;
}

export interface RouteReport {
  sent: number;
  signed: number;
  statuses: Record<string, number>;
  fiveXX: number;
  crashes: number;
  /** Rows (messages, identities, conversations, leads) created while only unauthenticated requests were sent: must be 0. */
  rowsStoredUnauthenticated: number;
  examples5xx: string[];
  /** What the requests that got no response were, and the client's error. */
  examplesCrashes: string[];
}

export interface FuzzReport {
  seed: number;
  perRoute: number;
  routes: Record<string, RouteReport>;
  totals: { sent: number; fiveXX: number; crashes: number; rowsStoredUnauthenticated: number };
  memory: { rssBeforeMb: number; rssAfterMb: number; heapBeforeMb: number; heapAfterMb: number; heapGrowthMb: number; heapBoundMb: number; gc: boolean };
  durationMs: number;
  timedOut: boolean;
  ok: boolean;
}

/** mulberry32: small, fast and deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'valid' | 'replay' | 'truncated' | 'wrong-types' | 'invalid-utf8' | 'random-bytes' | 'empty' | 'form' | 'scalar' | 'deep' | 'oversized' | 'huge-string' | 'duplicate-keys';
const KINDS: [Kind, number][] = [
  ['valid', 8],
  ['replay', 6],
  ['truncated', 14],
  ['wrong-types', 22],
  ['invalid-utf8', 10],
  ['random-bytes', 10],
  ['empty', 4],
  ['form', 6],
  ['scalar', 6],
  ['deep', 3],
  ['oversized', 1],
  ['huge-string', 4],
  ['duplicate-keys', 6],
];
const TOTAL_WEIGHT = KINDS.reduce((s, [, w]) => s + w, 0);

const WEIRD: unknown[] = [null, 0, -1, 1e308, 'x', '', [], {}, [null], { a: 1 }, true, '\u0000', '𝔘𝔫𝔦', 'a'.repeat(5000), 2 ** 53 + 1, -0.5, ['x', 1], { __proto__: { polluted: true } }, { constructor: { prototype: {} } }];

function mutate(value: unknown, rnd: () => number, depth = 0): unknown {
  if (depth > 6) return value;
  if (Array.isArray(value)) {
    if (value.length === 0 || rnd() < 0.2) return WEIRD[Math.floor(rnd() * WEIRD.length)];
    return value.map((v) => (rnd() < 0.5 ? mutate(v, rnd, depth + 1) : v));
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const r = rnd();
      if (r < 0.12) continue;
      out[k] = r < 0.45 ? WEIRD[Math.floor(rnd() * WEIRD.length)] : mutate(v, rnd, depth + 1);
    }
    return out;
  }
  return rnd() < 0.5 ? WEIRD[Math.floor(rnd() * WEIRD.length)] : value;
}

function generate(target: FuzzTarget, kind: Kind, n: number, rnd: () => number, lastValid: Buffer | undefined): Buffer {
  const valid = target.validBody(n);
  switch (kind) {
    case 'valid':
      return valid;
    case 'replay':
      return lastValid ?? valid;
    case 'truncated':
      return valid.subarray(0, Math.floor(rnd() * valid.length));
    case 'wrong-types':
      return Buffer.from(JSON.stringify(mutate(JSON.parse(valid.toString('utf8')), rnd)) ?? 'null');
    case 'invalid-utf8': {
      const at = Math.floor(rnd() * valid.length);
      const bad = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])][Math.floor(rnd() * 4)]!;
      return Buffer.concat([valid.subarray(0, at), bad, valid.subarray(at)]);
    }
    case 'random-bytes':
      return Buffer.from(Array.from({ length: Math.floor(rnd() * 2048) }, () => Math.floor(rnd() * 256)));
    case 'empty':
      return Buffer.alloc(0);
    case 'form':
      return Buffer.from(rnd() < 0.5 ? `payload=${encodeURIComponent(valid.toString('utf8'))}` : 'team_id=T1&user_id=U1&text=hi&trigger_id=x&channel_id=C1');
    case 'scalar':
      return Buffer.from(['null', 'true', '0', '"x"', '[]', '{}', '[{}]', '{"events":null}', '{"type":null}', '{"update_id":-1}'][Math.floor(rnd() * 10)]!);
    case 'deep': {
      const depth = 2000 + Math.floor(rnd() * 50_000);
      return Buffer.from('['.repeat(depth) + ']'.repeat(rnd() < 0.5 ? depth : 0));
    }
    case 'oversized':
      return Buffer.alloc(target.limitBytes + 1024 + Math.floor(rnd() * 4096), 0x41);
    case 'huge-string': {
      const o = JSON.parse(valid.toString('utf8')) as Record<string, unknown>;
      o.text = 'ข'.repeat(Math.floor(target.limitBytes / 4));
      return Buffer.from(JSON.stringify(o));
    }
    case 'duplicate-keys':
      return Buffer.from(valid.toString('utf8').replace(/^\{/, '{"type":{"nested":[1,2,3]},"events":5,"update_id":"1",'));
  }
}

function pickKind(rnd: () => number): Kind {
  let r = rnd() * TOTAL_WEIGHT;
  for (const [k, w] of KINDS) {
    r -= w;
    if (r < 0) return k;
  }
  return 'valid';
}

const agent = new http.Agent({ keepAlive: false, maxSockets: 64 });

/** One request; resolves with the status, or 0 when no response came (a crash or a dropped connection). */
function send(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: { status: number; error?: string }) => {
      if (!done) {
        done = true;
        resolve(r);
      }
    };
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => finish({ status: res.statusCode ?? 0 }));
      res.on('error', () => finish({ status: res.statusCode ?? 0 }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    // A server may answer (413) before it has read an oversized body; the write error after that answer is not a crash.
    req.on('error', (err) => setTimeout(() => finish({ status: 0, error: err.message }), 50));
    req.end(body);
  });
}

async function storedRows(app: App, accountIds: string[]): Promise<number> {
  return withSystem(app.db, async (sql) => {
    const { rows } = await sql.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM messages WHERE channel_account_id = ANY($1::uuid[]))
            + (SELECT count(*) FROM channel_identities WHERE channel_account_id = ANY($1::uuid[]))
            + (SELECT count(*) FROM conversations WHERE channel_account_id = ANY($1::uuid[]))
            + (SELECT count(*) FROM leads) AS n`,
      [accountIds],
    );
    return Number(rows[0]!.n);
  });
}

const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
const gc = (globalThis as { gc?: () => void }).gc;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>, deadline: number): Promise<boolean> {
  let next = 0;
  let timedOut = false;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        if (Date.now() > deadline) {
          timedOut = true;
          return;
        }
        await fn(items[next++]!);
      }
    }),
  );
  return timedOut;
}

export async function runFuzz(app: App, setup: FuzzTargets, opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  const deadline = t0 + opts.timeBudgetMs;
  const rnd = prng(opts.seed);
  const routes: Record<string, RouteReport> = {};
  // Each request seems to come from its own address (TRUST_PROXY): the per-IP failure budget would otherwise stop the run.
  const ip = () => `10.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 254) + 1}`;
  type Case = { target: FuzzTarget; body: Buffer; auth: Auth; kind: Kind };
  const plan = (target: FuzzTarget, signed: boolean): Case[] => {
    const out: Case[] = [];
    let lastValid: Buffer | undefined;
    const half = signed ? Math.ceil(opts.perRoute / 2) : Math.floor(opts.perRoute / 2);
    for (let i = 0; i < half; i++) {
      const kind = pickKind(rnd);
      const body = generate(target, kind, (signed ? 1_000_000 : 0) + i, rnd, lastValid);
      if (kind === 'valid') lastValid = body;
      const refusals: Auth[] = target.staleable ? ['forged', 'stale', 'missing'] : ['forged', 'missing'];
      const auth: Auth = signed ? 'valid' : refusals[i % refusals.length]!;
      out.push({ target, body, auth, kind });
    }
    return out;
  };
  for (const t of setup.targets) routes[t.name] = { sent: 0, signed: 0, statuses: {}, fiveXX: 0, crashes: 0, rowsStoredUnauthenticated: 0, examples5xx: [], examplesCrashes: [] };
  const run = async (c: Case) => {
    const r = routes[c.target.name]!;
    const headers = { 'content-type': c.kind === 'form' ? 'application/x-www-form-urlencoded' : c.target.contentType, 'x-forwarded-for': ip(), ...c.target.headers(c.body, c.auth) };
    const res = await send(c.target.url, c.body, headers);
    r.sent++;
    if (c.auth === 'valid') r.signed++;
    r.statuses[String(res.status)] = (r.statuses[String(res.status)] ?? 0) + 1;
    if (res.status === 0) {
      r.crashes++;
      if (r.examplesCrashes.length < 5) r.examplesCrashes.push(`${c.kind}/${c.auth} (${c.body.length} bytes): ${res.error ?? ''}`);
    }
    if (res.status >= 500) {
      r.fiveXX++;
      if (r.examples5xx.length < 5) r.examples5xx.push(`${c.kind}/${c.auth}: ${c.body.subarray(0, 120).toString('utf8')}`);
    }
  };

  // Warm up (JIT, caches, connections) before the memory baseline.
  await pool(setup.targets.flatMap((t) => Array.from({ length: 20 }, (_, i) => ({ target: t, body: t.validBody(9_000_000 + i), auth: 'forged' as Auth, kind: 'valid' as Kind }))), opts.concurrency, async (c) => void (await send(c.target.url, c.body, { 'content-type': c.target.contentType, 'x-forwarded-for': ip(), ...c.target.headers(c.body, c.auth) })), deadline);
  gc?.();
  const before = process.memoryUsage();

  let timedOut = false;
  // Unauthenticated half first, per route, counting what it stored (nothing may be).
  for (const target of setup.targets) {
    const rows0 = await storedRows(app, setup.accountIds);
    timedOut = (await pool(plan(target, false), opts.concurrency, run, deadline)) || timedOut;
    routes[target.name]!.rowsStoredUnauthenticated = (await storedRows(app, setup.accountIds)) - rows0;
  }
  for (const target of setup.targets) timedOut = (await pool(plan(target, true), opts.concurrency, run, deadline)) || timedOut;

  gc?.();
  const after = process.memoryUsage();
  const totals = Object.values(routes).reduce(
    (s, r) => ({ sent: s.sent + r.sent, fiveXX: s.fiveXX + r.fiveXX, crashes: s.crashes + r.crashes, rowsStoredUnauthenticated: s.rowsStoredUnauthenticated + r.rowsStoredUnauthenticated }),
    { sent: 0, fiveXX: 0, crashes: 0, rowsStoredUnauthenticated: 0 },
  );
  const memory = {
    rssBeforeMb: mb(before.rss),
    rssAfterMb: mb(after.rss),
    heapBeforeMb: mb(before.heapUsed),
    heapAfterMb: mb(after.heapUsed),
    heapGrowthMb: mb(after.heapUsed - before.heapUsed),
    heapBoundMb: opts.heapBoundMb,
    gc: Boolean(gc),
  };
  const ok = totals.fiveXX === 0 && totals.crashes === 0 && totals.rowsStoredUnauthenticated === 0 && memory.heapGrowthMb <= opts.heapBoundMb;
  return { seed: opts.seed, perRoute: opts.perRoute, routes, totals, memory, durationMs: Date.now() - t0, timedOut, ok };
}
