import type { Sql } from '../../db/database.ts';
import type { SkinConcern } from '../leads/attributes.ts';
import { SKIN_CONCERNS } from '../leads/attributes.ts';
import type { District } from './geo.ts';
import { customerText, findKeys, termIndex } from './match.ts';
import { findNumbers } from './numbers.ts';
import { BEDROOM_TERMS, CITY_NAMES, CONCERN_TERMS, PROPERTY_TYPE_TERMS, ZONE_TERMS } from './vocabulary.ts';

/**
 * What a customer wants, read from what they wrote: skin concerns (clinic),
 * or property type, districts, bedrooms and price (realty), and a budget.
 * Pure: storing it is applyNeeds' job (needs-store.ts).
 */
export interface Needs {
  concerns: SkinConcern[];
  propertyTypes: string[];
  cities: string[];
  /** Canonical district names (as listings store them). */
  districts: string[];
  /** Zones named without a district ("north Riyadh"), already expanded into `districts`. */
  zones: string[];
  bedroomsMin?: number | undefined;
  budget?: number | undefined;
}

export function emptyNeeds(): Needs {
  return { concerns: [], propertyTypes: [], cities: [], districts: [], zones: [] };
}

export function hasNeeds(n: Needs): boolean {
  return n.concerns.length + n.propertyTypes.length + n.cities.length + n.districts.length > 0 || n.bedroomsMin !== undefined || n.budget !== undefined;
}

function districtTerms(d: District): string[] {
  const names = [d.name, ...Object.values(d.names)];
  // "Al Malqa" is also written "Malqa"; "حي الملقا" contains "الملقا".
  const short = names.flatMap((n) => {
    const m = /^(?:al|el|ar|as|an|ad)[ -](.{3,})$/i.exec(n);
    return m ? [m[1]!] : [];
  });
  return [...names, ...short];
}

/** Bedroom counts: a number (digits or words) directly followed by a bedroom word, e.g. "4 غرف", "สี่ห้องนอน", "4+ bedrooms". */
function findBedrooms(text: string): { value: number; index: number; end: number } | undefined {
  for (const n of findNumbers(text)) {
    if (n.scaled || n.value < 1 || n.value > 20 || !Number.isInteger(n.value)) continue;
    const after = text.slice(n.end).replace(/^\s*\+?\s*(?:or more\s*|and more\s*|or above\s*|ขึ้นไป\s*|وأكثر\s*|او اكثر\s*)?/, '');
    if (BEDROOM_TERMS.some((t) => termIndex(after, t) === 0)) return { value: n.value, index: n.index, end: n.end };
  }
  return undefined;
}

/**
 * Extracts needs from free text. `districts` is the tenant's geography: a
 * zone ("شمال الرياض", "north Riyadh") becomes that zone's districts.
 */
export function extractNeeds(raw: string, districts: readonly District[]): Needs {
  const text = customerText(raw);
  const needs = emptyNeeds();
  if (!text) return needs;
  needs.concerns = findKeys(text, CONCERN_TERMS).filter((c): c is SkinConcern => (SKIN_CONCERNS as readonly string[]).includes(c));
  needs.propertyTypes = findKeys(text, PROPERTY_TYPE_TERMS);

  // One vocabulary for districts, zones and cities, so the longest name wins:
  // "أبحر الشمالية" is a district, not the north zone.
  const places: [string, string[]][] = [
    ...districts.map((d): [string, string[]] => [`d:${d.city}|${d.name}`, districtTerms(d)]),
    ...Object.entries(ZONE_TERMS).map(([z, terms]): [string, string[]] => [`z:${z}`, terms]),
    ...Object.entries(CITY_NAMES).map(([c, terms]): [string, string[]] => [`c:${c}`, [c, ...terms]]),
  ];
  const hits = findKeys(text, places);
  const named = hits.filter((h) => h.startsWith('d:')).map((h) => h.slice(2).split('|') as [string, string]);
  needs.cities = hits.filter((h) => h.startsWith('c:')).map((h) => h.slice(2));
  needs.zones = hits.filter((h) => h.startsWith('z:')).map((h) => h.slice(2));
  needs.districts = named.map(([, name]) => name);
  if (needs.zones.length && !named.length) {
    const inZone = districts.filter((d) => d.zone && needs.zones.includes(d.zone) && (!needs.cities.length || needs.cities.includes(d.city)));
    needs.districts = inZone.map((d) => d.name);
    if (!needs.cities.length) needs.cities = [...new Set(inZone.map((d) => d.city))];
  }
  for (const [city] of named) if (!needs.cities.includes(city)) needs.cities.push(city);

  const bedrooms = findBedrooms(text);
  if (bedrooms) needs.bedroomsMin = bedrooms.value;
  // The budget: an amount with a multiplier ("3 مليون", "15k") or a plain number of at least 1,000; the last one said wins.
  // Phone numbers ("0812345678", "+966…") are not budgets.
  const isPhone = (n: { index: number; end: number }) => /^(?:\+|0\d{6,})/.test(text.slice(n.index)) || text[n.index - 1] === '+';
  const amounts = findNumbers(text).filter((n) => n.index !== bedrooms?.index && (n.scaled || n.value >= 1000) && !isPhone(n));
  const last = amounts.at(-1);
  if (last) needs.budget = last.value;
  return needs;
}
