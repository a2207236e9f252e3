import { z } from 'zod';
import type { Sql } from '../../db/database.ts';
import { describeZodIssues } from '../leads/attributes.ts';
import { ToolInputError } from '../../errors.ts';
import type { Tenant } from '../tenants.ts';
import { getListing, type Listing } from './queries.ts';

export const PROPERTY_TYPES = ['apartment', 'villa', 'townhouse', 'duplex', 'land', 'floor', 'office', 'shop', 'building'] as const;

export const NewListingSchema = z.object({
  ref: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9-]{1,31}$/, 'expected a reference such as RY-900 (letters, digits and dashes)').transform((s) => s.toUpperCase()),
  title: z.string().trim().min(3).max(200),
  city: z.string().trim().min(2).max(80),
  district: z.string().trim().min(2).max(80).optional(),
  type: z.enum(PROPERTY_TYPES),
  price: z.coerce.number().positive().max(1e12),
  bedrooms: z.coerce.number().int().min(0).max(50).optional(),
  area: z.coerce.number().positive().max(1e7).optional(),
  status: z.enum(['available', 'reserved', 'sold', 'withdrawn']).default('available'),
});
export type NewListing = z.input<typeof NewListingSchema>;

/**
 * Adds a listing to the current tenant (an agency). The title is stored
 * under the language it is written in (Arabic script → "ar"), so a listing
 * added in either language shows its title to both.
 */
export async function createListing(sql: Sql, tenant: Tenant, input: NewListing): Promise<Listing> {
  if (tenant.vertical !== 'realty') throw new ToolInputError(`${tenant.slug} is not an agency: listings belong to real-estate tenants such as demo-realty.`);
  const parsed = NewListingSchema.safeParse(input);
  if (!parsed.success) throw new ToolInputError(`invalid listing: ${describeZodIssues(parsed.error)}`);
  const l = parsed.data;
  const locale = /[\u0600-\u06ff]/.test(l.title) ? 'ar' : /[\u0e00-\u0e7f]/.test(l.title) ? 'th' : /[a-z]/i.test(l.title) ? 'en' : tenant.defaultLocale;
  const taken = await sql.query('SELECT 1 FROM listings WHERE upper(ref) = $1', [l.ref]);
  if (taken.rows.length) throw new ToolInputError(`a listing ${l.ref} already exists in ${tenant.slug}; choose another --ref.`);
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO listings (tenant_id, ref, titles, city, district, property_type, price, currency, area_sqm, bedrooms, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
    [tenant.id, l.ref, JSON.stringify({ [locale]: l.title }), l.city, l.district ?? null, l.type, l.price, tenant.currency, l.area ?? null, l.bedrooms ?? null, l.status],
  );
  return getListing(sql, rows[0]!.id);
}
