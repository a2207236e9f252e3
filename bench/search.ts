import { pathToFileURL } from 'node:url';
import type { Database } from '../src/db/database.ts';
import { withTenant } from '../src/db/tenant.ts';
import { searchLeads } from '../src/core/leads/search.ts';
import { summarise } from './stats.ts';
import { getBenchDatabase } from './fixture.ts';

/**
 * Lead search by fuzzy name (pg_trgm over display names and their Latin
 * aliases) in one tenant: exact names, names with a typo, first names only,
 * and Latin spellings of Arabic names. Each sample is one search in its own
 * tenant transaction, measured from the caller.
 */
export async function benchSearch(db: Database, tenantId: string, opts: { samples?: number } = {}): Promise<Record<string, unknown>> {
  const samples = opts.samples ?? 200;
  const { names, leads } = await withTenant(db, tenantId, async (sql) => ({
    names: (
      await sql.query<{ display_name: string; alias: string | null }>(
        `SELECT display_name, aliases[1] AS alias FROM leads ORDER BY md5(id::text) LIMIT $1`,
        [samples],
      )
    ).rows,
    leads: (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM leads')).rows[0]!.n,
  }));
  // A typo: drop one letter from the middle, as people do on a phone keyboard.
  const typo = (s: string) => (s.length > 4 ? s.slice(0, Math.floor(s.length / 2)) + s.slice(Math.floor(s.length / 2) + 1) : s);
  const queries: Record<string, string[]> = {
    exact: names.map((n) => n.display_name),
    typo: names.map((n) => typo(n.display_name)),
    first_name: names.map((n) => n.display_name.split(' ')[0]!),
    latin_alias: names.map((n) => n.alias).filter((a): a is string => !!a),
  };
  const out: Record<string, unknown> = {};
  for (const [kind, list] of Object.entries(queries)) {
    const ms: number[] = [];
    let found = 0;
    for (const q of list) {
      const t0 = performance.now();
      const hits = await withTenant(db, tenantId, (sql) => searchLeads(sql, q));
      ms.push(performance.now() - t0);
      if (hits.length > 0) found++;
    }
    out[kind] = { ...summarise(ms), found };
  }
  return { name: 'lead_search_fuzzy_name_ms', leads, samples: names.length, ...out };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--scale');
  const scale = i >= 0 ? Number(process.argv[i + 1]) : 200;
  const bench = await getBenchDatabase({ scale });
  try {
    const j = process.argv.indexOf('--samples');
    const result = await benchSearch(bench.db, bench.tenantId, { samples: j >= 0 ? Number(process.argv[j + 1]) : 200 });
    process.stdout.write(JSON.stringify({ at: new Date().toISOString(), node: process.version, scale, ...result }, null, 2) + '\n');
  } finally {
    await bench.db.close();
  }
  process.exit(0);
}
