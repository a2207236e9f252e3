import ExcelJS from 'exceljs';
import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { toCsv } from './csv.ts';
import { LeadAttributes } from '../leads/attributes.ts';
import { statedConcerns } from '../customer/profile.ts';

/**
 * The tenant's leads as rows in the import format (csv.ts), plus score,
 * grade and creation time, so a file exported here can be edited and
 * imported back: the `id` column makes every row merge into its own lead.
 */

export const EXPORT_COLUMNS = [
  'id', 'name', 'first_name', 'last_name', 'phone', 'email', 'source', 'stage', 'owner_email', 'budget', 'locale', 'consent',
  'concerns', 'cities', 'districts', 'property_types', 'price_max', 'bedrooms_min', 'score', 'grade', 'created_at',
] as const;

export interface LeadExport {
  columns: readonly string[];
  rows: string[][];
}

export async function exportLeads(sql: Sql): Promise<LeadExport> {
  const { rows } = await sql.query<{
    id: string; display_name: string; first_name: string; last_name: string | null; phone: string | null; email: string | null; source: string;
    stage_key: string; owner_email: string | null; budget: string | null; locale: string | null; consent: string; attributes: Record<string, unknown>;
    cities: string[] | null; districts: string[] | null; property_types: string[] | null; price_max: string | null; bedrooms_min: number | null;
    score: number | null; grade: string | null; created_at: Date;
  }>(
    `SELECT l.id, l.display_name, l.first_name, l.last_name, l.phone, l.email, l.source, l.stage_key, s.email AS owner_email, l.budget, l.locale, l.consent,
            l.attributes, br.cities, br.districts, br.property_types, br.price_max, br.bedrooms_min, l.score, l.grade, l.created_at
     FROM leads l
     LEFT JOIN staff_users s ON s.id = l.owner_id
     LEFT JOIN LATERAL (
       SELECT cities, districts, property_types, price_max, bedrooms_min FROM buyer_requests b
       WHERE b.lead_id = l.id AND b.status = 'active' ORDER BY b.updated_at DESC LIMIT 1
     ) br ON true
     ORDER BY l.created_at, l.id`,
  );
  const num = (v: string | number | null) => (v === null ? '' : String(Number(v)));
  return {
    columns: EXPORT_COLUMNS,
    rows: rows.map((r) => {
      // One lead with malformed attributes must not stop the export.
      const attrs = LeadAttributes.safeParse(r.attributes ?? {});
      const concerns = attrs.success ? statedConcerns(attrs.data) : [];
      return [
        r.id, r.display_name, r.first_name, r.last_name ?? '', r.phone ?? '', r.email ?? '', r.source, r.stage_key, r.owner_email ?? '', num(r.budget),
        r.locale ?? '', r.consent, concerns.join('; '), (r.cities ?? []).join('; '), (r.districts ?? []).join('; '),
        (r.property_types ?? []).join('; '), num(r.price_max), num(r.bedrooms_min), num(r.score), r.grade ?? '', r.created_at.toISOString(),
      ];
    }),
  };
}

export function exportToCsv(data: LeadExport): string {
  return toCsv(data.columns, data.rows);
}

/** An .xlsx workbook: every cell a string (no formulas can exist), the sheet right-to-left for Arabic tenants. */
export async function exportToXlsx(data: LeadExport, tenant: Tenant): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Closer';
  const ws = wb.addWorksheet('Leads', { views: [{ state: 'frozen', ySplit: 1, rightToLeft: tenant.defaultLocale === 'ar' }] });
  ws.columns = data.columns.map((c) => ({ header: c, key: c, width: Math.max(12, Math.min(40, c.length + 4)) }));
  ws.getRow(1).font = { bold: true };
  for (const r of data.rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
