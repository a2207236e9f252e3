import type { Database } from '../src/db/database.ts';
import { withTenant } from '../src/db/tenant.ts';
import { searchLeads } from '../src/core/leads/search.ts';
import { summarise } from './stats.ts';
import { getBenchDatabase } from './fixture.ts';
import { benchMain, type Figure } from './lib/cli.ts';

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
      await sql.query<{ id: string; display_name: string; alias: string | null }>(
        `SELECT id, display_name, aliases[1] AS alias FROM leads ORDER BY md5(id::text) LIMIT $1`,
        [samples],
      )
    ).rows,
    leads: (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM leads')).rows[0]!.n,
  }));
  // A typo: drop one letter from the middle, as people do on a phone keyboard.
  const typo = (s: string) => (s.length > 4 ? s.slice(0, Math.floor(s.length / 2)) + s.slice(Math.floor(s.length / 2) + 1) : s);
  // Each query with the lead it means. "Found" = that lead is among the first 6 results (what
  // lookup_lead shows), or a lead of exactly the same name is: the demo's 100,000 leads share about
  // 1,400 names, and two leads of one name cannot be told apart by the name.
  const queries: Record<string, { q: string; lead: { id: string; display_name: string } }[]> = {
    exact: names.map((n) => ({ q: n.display_name, lead: n })),
    typo: names.map((n) => ({ q: typo(n.display_name), lead: n })),
    first_name: names.map((n) => ({ q: n.display_name.split(' ')[0]!, lead: n })),
    latin_alias: names.filter((n) => !!n.alias).map((n) => ({ q: n.alias!, lead: n })),
  };
  const out: Record<string, unknown> = {};
  for (const [kind, list] of Object.entries(queries)) {
    const ms: number[] = [];
    let found = 0;
    let any = 0;
    for (const { q, lead } of list) {
      const t0 = performance.now();
      const hits = await withTenant(db, tenantId, (sql) => searchLeads(sql, q, 6));
      ms.push(performance.now() - t0);
      if (hits.length > 0) any++;
      if (hits.some((h) => h.id === lead.id || h.displayName === lead.display_name)) found++;
    }
    out[kind] = { ...summarise(ms), found, anyResult: any };
  }
  return { name: 'lead_search_fuzzy_name_ms', leads, samples: names.length, ...out };
}

await benchMain(import.meta.url, 'search', async (ctx) => {
  const bench = await getBenchDatabase({ scale: ctx.flag('--scale', ctx.quick ? 2 : 200), databaseUrl: ctx.databaseUrl });
  try {
    const r = await benchSearch(bench.db, bench.tenantId, { samples: ctx.flag('--samples', ctx.quick ? 10 : 200) });
    const kinds = ['exact', 'typo', 'first_name', 'latin_alias'] as const;
    const figures: Figure[] = kinds.map((k) => {
      const v = r[k] as { p95: number };
      return { key: `search_${k}_p95_ms`, label: `lead search, ${k.replace('_', ' ')}, p95`, value: v.p95, unit: 'ms' };
    });
    const typo = r.typo as { n: number; found: number };
    figures.push({ key: 'search_typo_recall', label: 'lead search, typo recall (intended lead in the first 6)', value: typo.n ? Math.round((typo.found / typo.n) * 1000) / 1000 : null, unit: 'fraction' });
    return { figures, detail: { scale: bench.scale, image: { name: bench.image, built: bench.built, ms: bench.buildMs }, ...r } };
  } finally {
    await bench.db.close();
  }
});
