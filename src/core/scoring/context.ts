import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import type { CatalogueOption, ListingOption } from './budget.ts';
import { scoringConfigFor, type ScoringConfig } from './config.ts';

export interface StageInfo {
  key: string;
  position: number;
  isWon: boolean;
  isLost: boolean;
  /** Index among open stages in pipeline order; null for won/lost. */
  openIndex: number | null;
  baseProbability: number;
  names: Record<string, string>;
}

/** What scoring needs about a tenant besides the leads: small tables, read once per batch. */
export interface ScoringContext {
  tenant: Tenant;
  config: ScoringConfig;
  stages: Map<string, StageInfo>;
  openStageCount: number;
  catalogue: CatalogueOption[];
  listings: ListingOption[];
}

export async function loadStages(sql: Sql): Promise<StageInfo[]> {
  const { rows } = await sql.query<{ key: string; position: number; is_won: boolean; is_lost: boolean; base_probability: string; names: Record<string, string> }>(
    'SELECT key, position, is_won, is_lost, base_probability, names FROM pipeline_stages ORDER BY position, key',
  );
  let open = 0;
  return rows.map((r) => ({
    key: r.key,
    position: r.position,
    isWon: r.is_won,
    isLost: r.is_lost,
    openIndex: r.is_won || r.is_lost ? null : open++,
    baseProbability: Number(r.base_probability),
    names: r.names ?? {},
  }));
}

export async function loadScoringContext(sql: Sql, tenant: Tenant): Promise<ScoringContext> {
  const stages = await loadStages(sql);
  const catalogue =
    tenant.vertical === 'realty'
      ? []
      : (
          await sql.query<{ price: string; category: string; targets: string[] }>('SELECT price, category, targets FROM catalogue_items WHERE active')
        ).rows.map((r) => ({ price: Number(r.price), category: r.category, targets: r.targets }));
  const listings =
    tenant.vertical === 'clinic'
      ? []
      : (
          await sql.query<{ price: string; city: string; district: string | null; property_type: string; bedrooms: number | null }>(
            `SELECT price, city, district, property_type, bedrooms FROM listings WHERE status = 'available'`,
          )
        ).rows.map((r) => ({ price: Number(r.price), city: r.city, district: r.district, propertyType: r.property_type, bedrooms: r.bedrooms }));
  return {
    tenant,
    config: scoringConfigFor(tenant),
    stages: new Map(stages.map((s) => [s.key, s])),
    openStageCount: stages.filter((s) => s.openIndex !== null).length,
    catalogue,
    listings,
  };
}
