import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';

/**
 * The tenant's geography: districts with their names per locale and the
 * zone of the city they lie in ("north Riyadh"). It is read from the tenant
 * setting `districts` when present; otherwise from the tenant's vertical
 * pack in db/seeds (the demo tenants); otherwise from the districts of its
 * listings (no zones then, so "north Riyadh" cannot be resolved).
 */

const District = z.object({
  city: z.string().min(1),
  name: z.string().min(1),
  names: z.record(z.string(), z.string()).default({}),
  zone: z.string().optional(),
});
export type District = z.infer<typeof District>;

const PackGeo = z.object({ tenant: z.object({ slug: z.string() }), districts: z.array(District).default([]) }).loose();

const SEEDS_DIR = fileURLToPath(new URL('../../../db/seeds/', import.meta.url));
let packDistricts: Map<string, District[]> | undefined;

function fromPacks(slug: string): District[] | undefined {
  if (!packDistricts) {
    packDistricts = new Map();
    const files = fs.existsSync(SEEDS_DIR) ? fs.readdirSync(SEEDS_DIR).filter((f) => f.endsWith('.json')) : [];
    for (const f of files) {
      const parsed = PackGeo.safeParse(JSON.parse(fs.readFileSync(SEEDS_DIR + f, 'utf8')));
      if (parsed.success) packDistricts.set(parsed.data.tenant.slug, parsed.data.districts);
    }
  }
  return packDistricts.get(slug);
}

export async function tenantDistricts(sql: Sql, tenant: Tenant): Promise<District[]> {
  const setting = z.array(District).safeParse((tenant.settings as { districts?: unknown }).districts);
  if (setting.success && setting.data.length) return setting.data;
  const pack = fromPacks(tenant.slug);
  if (pack?.length) return pack;
  const { rows } = await sql.query<{ city: string; district: string }>(
    `SELECT DISTINCT city, district FROM listings WHERE district IS NOT NULL ORDER BY city, district`,
  );
  return rows.map((r) => ({ city: r.city, name: r.district, names: {} }));
}
