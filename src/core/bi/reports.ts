import type { Sql } from '../../db/database.ts';
import { MetricQuerySchema, type MetricQuery } from './query.ts';

export interface ReportRow {
  id: string;
  tenant_id: string;
  staff_user_id: string;
  number: number;
  name: string;
  query: unknown;
  locale: string;
  cron: string;
  timezone: string;
  status: 'active' | 'cancelled';
  conversation_id: string | null;
  last_run_at: Date | null;
}

const COLS = 'id, tenant_id, staff_user_id, number, name, query, locale, cron, timezone, status, conversation_id, last_run_at';

export async function createReport(
  sql: Sql,
  r: { tenantId: string; staffUserId: string; name: string; query: MetricQuery; locale: string; cron: string; timezone: string; conversationId: string | null },
): Promise<ReportRow> {
  // Numbers are per person and never reused, so "cancel report 2" cannot hit a newer report.
  const { rows } = await sql.query<ReportRow>(
    `INSERT INTO scheduled_reports (tenant_id, staff_user_id, number, name, query, locale, cron, timezone, conversation_id)
     VALUES ($1, $2, (SELECT COALESCE(max(number), 0) + 1 FROM scheduled_reports WHERE staff_user_id = $2), $3, $4, $5, $6, $7, $8)
     RETURNING ${COLS}`,
    [r.tenantId, r.staffUserId, r.name.slice(0, 200), JSON.stringify(r.query), r.locale, r.cron, r.timezone, r.conversationId],
  );
  return rows[0]!;
}

export async function listReports(sql: Sql, staffUserId: string): Promise<ReportRow[]> {
  const { rows } = await sql.query<ReportRow>(`SELECT ${COLS} FROM scheduled_reports WHERE staff_user_id = $1 AND status = 'active' ORDER BY number`, [staffUserId]);
  return rows;
}

export async function cancelReport(sql: Sql, staffUserId: string, number: number): Promise<ReportRow | undefined> {
  const { rows } = await sql.query<ReportRow>(
    `UPDATE scheduled_reports SET status = 'cancelled', updated_at = now() WHERE staff_user_id = $1 AND number = $2 AND status = 'active' RETURNING ${COLS}`,
    [staffUserId, number],
  );
  return rows[0];
}

export async function getReport(sql: Sql, id: string): Promise<ReportRow | undefined> {
  const { rows } = await sql.query<ReportRow>(`SELECT ${COLS} FROM scheduled_reports WHERE id = $1`, [id]);
  return rows[0];
}

export function reportQuery(row: ReportRow): MetricQuery {
  return MetricQuerySchema.parse(row.query);
}
