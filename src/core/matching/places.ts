import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { foldScript } from '../workflow/time-vocab.ts';

/**
 * Locations are typed by people: "Al Malqa", "al  malqa", "Al-Malqa",
 * "Malqa", "الملقا", "حي الملقا". A place key folds them all to one form;
 * a PlaceIndex also maps a district's other-language names (from the
 * tenant's pack) to its canonical key.
 */
export function placeKey(text: string): string {
  return foldScript(text)
    .replace(/^(?:حي|district of|district)\s+/, '')
    .replace(/\s+district$/, '')
    .replace(/^(?:al|el)[\s-]+/, '')
    .replace(/^ال(?=[\u0600-\u06ff]{2,})/, '')
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

export class PlaceIndex {
  private readonly aliases = new Map<string, string>();
  private readonly labels = new Map<string, Record<string, string>>();

  constructor(places: { name: string; names: Record<string, string> }[] = []) {
    for (const p of places) {
      const canonical = placeKey(p.name);
      this.aliases.set(canonical, canonical);
      for (const n of Object.values(p.names)) this.aliases.set(placeKey(n), canonical);
      this.labels.set(canonical, p.names);
    }
  }

  /** The place's name in `locale` when the pack has it ("الملقا" for "Al Malqa"), else as given. */
  label(text: string, locale: string): string {
    return this.labels.get(this.key(text))?.[locale] ?? text;
  }

  // Buyer requests repeat the same few district names thousands of times per match: fold each spelling once.
  private readonly memo = new Map<string, string>();

  key(text: string): string {
    let k = this.memo.get(text);
    if (k === undefined) {
      const folded = placeKey(text);
      k = this.aliases.get(folded) ?? folded;
      if (this.memo.size < 10_000) this.memo.set(text, k);
    }
    return k;
  }

  same(a: string, b: string): boolean {
    return this.key(a) === this.key(b);
  }

  includes(list: readonly string[], place: string): boolean {
    const k = this.key(place);
    return list.some((x) => this.key(x) === k);
  }
}

const PackPlaces = z.object({
  tenant: z.object({ slug: z.string() }),
  districts: z.array(z.object({ city: z.string(), name: z.string(), names: z.record(z.string(), z.string()) })).optional(),
});

const SEEDS_DIR = fileURLToPath(new URL('../../../db/seeds/', import.meta.url));
let cache: Map<string, PlaceIndex> | undefined;

/**
 * The place index of a tenant: district names in every language its pack
 * (db/seeds/<tenant>.json) gives. A tenant without a pack still gets
 * case-, space- and article-insensitive comparison.
 */
export function placeIndexFor(tenantSlug: string): PlaceIndex {
  if (!cache) {
    cache = new Map();
    const files = fs.existsSync(SEEDS_DIR) ? fs.readdirSync(SEEDS_DIR).filter((f) => f.endsWith('.json')) : [];
    for (const file of files) {
      const parsed = PackPlaces.safeParse(JSON.parse(fs.readFileSync(SEEDS_DIR + file, 'utf8')));
      if (!parsed.success) continue;
      const districts = parsed.data.districts ?? [];
      cache.set(parsed.data.tenant.slug, new PlaceIndex(districts.map((d) => ({ name: d.name, names: d.names }))));
    }
  }
  return cache.get(tenantSlug) ?? new PlaceIndex();
}
