import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEmbeddedDatabase, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { seedDemo } from '../src/db/seed/index.ts';

/**
 * A large seeded embedded database for benchmarks, built once and cached as
 * a PGlite dump in .closer-bench/ (git-ignored). The cache key includes the
 * scale, the anchor and a hash of the migrations, the seed generator and the
 * realty pack, so a change to any of them builds a fresh image instead of
 * benchmarking stale data.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE_DIR = path.join(ROOT, '.closer-bench');
export const BENCH_TENANT = 'demo-realty';
export const BENCH_ANCHOR = new Date('2026-11-20T00:00:00Z');

export interface BenchDatabase {
  db: Database & { pglite: import('@electric-sql/pglite').PGlite };
  tenantId: string;
  scale: number;
  anchor: Date;
  /** Whether this call built the image (and how long it took) or loaded it from the cache. */
  built: boolean;
  buildMs: number;
  file: string;
}

function sourceHash(): string {
  const h = crypto.createHash('sha256');
  const files = [
    ...fs.readdirSync(path.join(ROOT, 'db/migrations')).sort().map((f) => `db/migrations/${f}`),
    ...fs.readdirSync(path.join(ROOT, 'src/db/seed')).sort().map((f) => `src/db/seed/${f}`),
    'db/seeds/realty.json',
  ];
  for (const f of files) h.update(f).update(fs.readFileSync(path.join(ROOT, f)));
  return h.digest('hex').slice(0, 12);
}

export async function getBenchDatabase(opts: { scale: number; anchor?: Date; log?: (msg: string) => void }): Promise<BenchDatabase> {
  const anchor = opts.anchor ?? BENCH_ANCHOR;
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const file = path.join(CACHE_DIR, `${BENCH_TENANT}-scale${opts.scale}-${anchor.toISOString().slice(0, 10)}-${sourceHash()}.tar.gz`);
  let built = false;
  const began = performance.now();
  let db: BenchDatabase['db'];
  if (fs.existsSync(file)) {
    log(`bench: loading ${path.relative(ROOT, file)}`);
    db = await openEmbeddedDatabase('memory://', { loadDataDir: new Blob([fs.readFileSync(file)]) });
  } else {
    log(`bench: building ${BENCH_TENANT} at scale ${opts.scale} (cached afterwards in ${path.relative(ROOT, CACHE_DIR)}/)`);
    db = await openEmbeddedDatabase('memory://');
    await migrate(db);
    await seedDemo(db, { scale: opts.scale, tenants: [BENCH_TENANT], anchor, log });
    // Planner statistics, as a running system would have them.
    await db.pool.query('ANALYZE');
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const dump = Buffer.from(await (await db.pglite.dumpDataDir('gzip')).arrayBuffer());
    // Write then rename: a killed run never leaves a truncated image behind to be "loaded" next time.
    fs.writeFileSync(`${file}.tmp`, dump);
    fs.renameSync(`${file}.tmp`, file);
    built = true;
  }
  const tenantId = (await db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [BENCH_TENANT])).rows[0]?.id;
  if (!tenantId) throw new Error(`bench image ${file} has no ${BENCH_TENANT} tenant; delete it to rebuild`);
  return { db, tenantId, scale: opts.scale, anchor, built, buildMs: Math.round(performance.now() - began), file };
}
