import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEmbeddedDatabase, openServerDatabase, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { seedDemo } from '../src/db/seed/index.ts';
import { createLogger } from '../src/log.ts';
import type { Backend } from './lib/cli.ts';

/**
 * Seeded databases for benchmarks, on either backend, built once per source
 * hash (the migrations, the seed generator and the realty pack) so a change
 * to any of them builds fresh data instead of benchmarking stale data:
 * - embedded: a PGlite dump cached in .closer-bench/ (git-ignored), loaded
 *   into memory for each run;
 * - server: a database `closer_bench_s<scale>_<hash>` on the given server,
 *   kept between runs; a half-built one (no `closer_bench_image` row, e.g. a
 *   killed run) is dropped and rebuilt, and older images of the same scale
 *   are dropped when a new one is built.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE_DIR = path.join(ROOT, '.closer-bench');
export const BENCH_TENANT = 'demo-realty';
export const BENCH_ANCHOR = new Date('2026-11-20T00:00:00Z');

export interface BenchDatabase {
  db: Database;
  backend: Backend;
  tenantId: string;
  scale: number;
  anchor: Date;
  /** Whether this call built the image (and how long it took) or loaded it. */
  built: boolean;
  buildMs: number;
  /** The dump file (embedded) or database name (server). */
  image: string;
}

export function sourceHash(): string {
  const h = crypto.createHash('sha256');
  const files = [
    ...fs.readdirSync(path.join(ROOT, 'db/migrations')).sort().map((f) => `db/migrations/${f}`),
    ...fs.readdirSync(path.join(ROOT, 'src/db/seed')).sort().map((f) => `src/db/seed/${f}`),
    'db/seeds/realty.json',
    'db/seeds/clinic.json',
  ];
  for (const f of files) h.update(f).update(fs.readFileSync(path.join(ROOT, f)));
  return h.digest('hex').slice(0, 12);
}

const defaultLog = (m: string) => process.stderr.write(`${m}\n`);

export async function getBenchDatabase(opts: {
  scale: number;
  databaseUrl?: string | undefined;
  anchor?: Date;
  log?: (msg: string) => void;
  poolSize?: number;
  /**
   * The bench writes (schedules, imports, rescoring): on a server, work on a
   * throwaway copy of the image (CREATE DATABASE … TEMPLATE, dropped on
   * close) so the kept image stays as seeded. Embedded runs always work on
   * an in-memory copy.
   */
  scratch?: boolean;
}): Promise<BenchDatabase> {
  const anchor = opts.anchor ?? BENCH_ANCHOR;
  const log = opts.log ?? defaultLog;
  const began = performance.now();
  const seed = async (db: Database) => {
    await migrate(db);
    await seedDemo(db, { scale: opts.scale, tenants: [BENCH_TENANT], anchor, log });
    // Planner statistics, as a running system would have them.
    await db.pool.query('ANALYZE');
  };
  let db: Database;
  let built = false;
  let image: string;
  if (opts.databaseUrl) {
    const name = `closer_bench_s${opts.scale}_${anchor.toISOString().slice(0, 10).replaceAll('-', '')}_${sourceHash()}`;
    image = name;
    const r = await openServerImage(opts.databaseUrl, name, opts.poolSize ?? 20, async (fresh) => {
      log(`bench: building ${BENCH_TENANT} at scale ${opts.scale} in database ${name} (kept for later runs)`);
      await seed(fresh);
    });
    db = r.db;
    built = r.built;
    if (opts.scratch) {
      await db.close();
      db = await openScratchCopy(opts.databaseUrl, name, opts.poolSize ?? 20);
    }
  } else {
    image = path.join(CACHE_DIR, `${BENCH_TENANT}-scale${opts.scale}-${anchor.toISOString().slice(0, 10)}-${sourceHash()}.tar.gz`);
    if (fs.existsSync(image)) {
      log(`bench: loading ${path.relative(ROOT, image)}`);
      db = await openEmbeddedDatabase('memory://', { loadDataDir: new Blob([fs.readFileSync(image)]) });
    } else {
      log(`bench: building ${BENCH_TENANT} at scale ${opts.scale} (cached afterwards in ${path.relative(ROOT, CACHE_DIR)}/)`);
      const pg = await openEmbeddedDatabase('memory://');
      await seed(pg);
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      const dump = Buffer.from(await (await pg.pglite.dumpDataDir('gzip')).arrayBuffer());
      // Write then rename: a killed run never leaves a truncated image behind to be "loaded" next time.
      fs.writeFileSync(`${image}.tmp`, dump);
      fs.renameSync(`${image}.tmp`, image);
      db = pg;
      built = true;
    }
  }
  const tenantId = (await db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [BENCH_TENANT])).rows[0]?.id;
  if (!tenantId) throw new Error(`bench image ${image} has no ${BENCH_TENANT} tenant; delete it to rebuild`);
  return { db, backend: opts.databaseUrl ? 'server' : 'embedded', tenantId, scale: opts.scale, anchor, built, buildMs: Math.round(performance.now() - began), image };
}

/**
 * A migrated database with the two demo tenants at scale 1, thrown away on
 * close: in memory (embedded) or a temporary database on the server.
 */
export async function openDemoDatabase(opts: { databaseUrl?: string | undefined; anchor?: Date; poolSize?: number } = {}): Promise<Database> {
  const seed = async (db: Database) => {
    await migrate(db);
    await seedDemo(db, opts.anchor ? { anchor: opts.anchor } : {});
  };
  if (!opts.databaseUrl) {
    const db = await openEmbeddedDatabase('memory://');
    await seed(db);
    return db;
  }
  const name = `closer_bench_tmp_${crypto.randomBytes(5).toString('hex')}`;
  const admin = await openServerDatabase(opts.databaseUrl, createLogger('silent'), 1);
  await admin.pool.query(`CREATE DATABASE ${name}`);
  const db = await openServerDatabase(withDatabase(opts.databaseUrl, name), createLogger('silent'), opts.poolSize ?? 20);
  try {
    await seed(db);
  } catch (err) {
    await db.close();
    await admin.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
    throw err;
  }
  return {
    ...db,
    async close() {
      await db.close();
      await admin.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function openServerImage(url: string, name: string, poolSize: number, build: (db: Database) => Promise<void>): Promise<{ db: Database; built: boolean }> {
  const silent = createLogger('silent');
  const admin = await openServerDatabase(url, silent, 1);
  try {
    const exists = (await admin.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    if (exists) {
      const db = await openServerDatabase(withDatabase(url, name), silent, poolSize);
      const ready = await db.pool
        .query(`SELECT 1 FROM closer_bench_image`)
        .then((r) => r.rowCount === 1)
        .catch(() => false);
      if (ready) return { db, built: false };
      await db.close();
      await admin.pool.query(`DROP DATABASE ${name} WITH (FORCE)`);
    }
    const prefix = name.slice(0, name.indexOf('_', 'closer_bench_s'.length) + 1);
    for (const { datname } of (await admin.pool.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix])).rows) {
      await admin.pool.query(`DROP DATABASE ${datname} WITH (FORCE)`);
    }
    await admin.pool.query(`CREATE DATABASE ${name}`);
    const db = await openServerDatabase(withDatabase(url, name), silent, poolSize);
    await build(db);
    await db.pool.query(`CREATE TABLE closer_bench_image (built_at timestamptz NOT NULL DEFAULT now()); INSERT INTO closer_bench_image DEFAULT VALUES`);
    return { db, built: true };
  } finally {
    await admin.close();
  }
}

/** A throwaway copy of a kept server image; the copy is dropped on close. */
async function openScratchCopy(url: string, image: string, poolSize: number): Promise<Database> {
  const silent = createLogger('silent');
  const admin = await openServerDatabase(url, silent, 1);
  const name = `closer_bench_tmp_${crypto.randomBytes(5).toString('hex')}`;
  await admin.pool.query(`CREATE DATABASE ${name} TEMPLATE ${image}`);
  const db = await openServerDatabase(withDatabase(url, name), silent, poolSize);
  return {
    ...db,
    async close() {
      await db.close();
      await admin.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}
