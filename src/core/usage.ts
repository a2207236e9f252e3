import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Sql } from '../db/database.ts';
import type { Tenant } from './tenants.ts';

/** One model call, as recorded in llm_usage. */
export interface UsageRecord {
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  outcome: 'ok' | 'error' | 'timeout' | 'rate_limited';
  conversationId?: string | undefined;
  at: Date;
}

const PriceTable = z.record(z.string(), z.union([z.object({ input: z.number().min(0), output: z.number().min(0) }), z.string()]));
let prices: Map<string, { input: number; output: number }> | undefined;

function priceTable(): Map<string, { input: number; output: number }> {
  if (prices) return prices;
  const file = fileURLToPath(new URL('../agents/llm/prices.json', import.meta.url));
  const parsed = PriceTable.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  prices = new Map(Object.entries(parsed).flatMap(([k, v]) => (typeof v === 'string' ? [] : [[k, v] as const])));
  return prices;
}

/**
 * Estimated USD cost of a call. Models are matched by exact name, then by the
 * longest listed name the model starts with ("gemini-2.5-flash-001" prices as
 * "gemini-2.5-flash"); unknown models (self-hosted) cost nothing.
 */
export function estimateCostUsd(model: string, promptTokens: number, completionTokens: number): number {
  const table = priceTable();
  let price = table.get(model);
  if (!price) {
    const key = [...table.keys()].filter((k) => model.startsWith(k)).sort((a, b) => b.length - a.length)[0];
    price = key ? table.get(key) : undefined;
  }
  if (!price) return 0;
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}

export async function recordUsage(sql: Sql, tenant: Tenant, records: readonly UsageRecord[]): Promise<void> {
  for (const r of records) {
    await sql.query(
      `INSERT INTO llm_usage (tenant_id, provider, model, prompt_tokens, completion_tokens, latency_ms, cost_usd, outcome, conversation_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [tenant.id, r.provider, r.model, r.promptTokens, r.completionTokens, Math.round(r.latencyMs), estimateCostUsd(r.model, r.promptTokens, r.completionTokens).toFixed(6), r.outcome, r.conversationId ?? null, r.at],
    );
  }
}

/** Records that a turn was answered in rules mode although an LLM is configured, and why. */
export async function recordFallback(sql: Sql, tenant: Tenant, reason: 'error' | 'timeout' | 'rate_limited' | 'budget' | 'conversation_cap', conversationId: string | undefined, at: Date): Promise<void> {
  await sql.query(
    `INSERT INTO audit_log (tenant_id, actor_type, action, result_summary, outcome, conversation_id, created_at)
     VALUES ($1, 'system', 'llm_fallback', $2, 'error', $3, $4)`,
    [tenant.id, reason, conversationId ?? null, at],
  );
}

/** A UTC calendar month ("2026-11") as [start, end) instants. */
export function monthRange(month: string): { start: Date; end: Date } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) throw new RangeError(`month must look like 2026-11, got "${month}"`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) throw new RangeError(`month must look like 2026-11, got "${month}"`);
  return { start: new Date(Date.UTC(y, mo - 1, 1)), end: new Date(Date.UTC(y, mo, 1)) };
}

export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

export interface MonthUsage {
  month: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  avgLatencyMs: number;
  failures: { error: number; timeout: number; rate_limited: number };
  fallbacks: { error: number; timeout: number; rate_limited: number; budget: number; conversation_cap: number };
  byModel: { provider: string; model: string; calls: number; costUsd: number }[];
}

/** The month's model usage of the tenant (months are UTC calendar months, like most provider invoices). */
export async function monthUsage(sql: Sql, month: string): Promise<MonthUsage> {
  const { start, end } = monthRange(month);
  const totals = (
    await sql.query<{ calls: number; pt: number; ct: number; cost: string; lat: string | null; err: number; tmo: number; rl: number }>(
      `SELECT count(*)::int AS calls, coalesce(sum(prompt_tokens), 0)::int AS pt, coalesce(sum(completion_tokens), 0)::int AS ct,
              coalesce(sum(cost_usd), 0)::text AS cost, avg(latency_ms)::text AS lat,
              count(*) FILTER (WHERE outcome = 'error')::int AS err, count(*) FILTER (WHERE outcome = 'timeout')::int AS tmo,
              count(*) FILTER (WHERE outcome = 'rate_limited')::int AS rl
       FROM llm_usage WHERE created_at >= $1 AND created_at < $2`,
      [start, end],
    )
  ).rows[0]!;
  const fb = (
    await sql.query<{ reason: string; n: number }>(
      `SELECT result_summary AS reason, count(*)::int AS n FROM audit_log
       WHERE action = 'llm_fallback' AND created_at >= $1 AND created_at < $2 GROUP BY 1`,
      [start, end],
    )
  ).rows;
  const byModel = (
    await sql.query<{ provider: string; model: string; calls: number; cost: string }>(
      `SELECT provider, model, count(*)::int AS calls, sum(cost_usd)::text AS cost FROM llm_usage
       WHERE created_at >= $1 AND created_at < $2 GROUP BY 1, 2 ORDER BY 3 DESC`,
      [start, end],
    )
  ).rows;
  const fallbacks = { error: 0, timeout: 0, rate_limited: 0, budget: 0, conversation_cap: 0 };
  for (const r of fb) if (r.reason in fallbacks) fallbacks[r.reason as keyof typeof fallbacks] = r.n;
  return {
    month,
    calls: totals.calls,
    promptTokens: totals.pt,
    completionTokens: totals.ct,
    costUsd: Number(totals.cost),
    avgLatencyMs: totals.lat === null ? 0 : Math.round(Number(totals.lat)),
    failures: { error: totals.err, timeout: totals.tmo, rate_limited: totals.rl },
    fallbacks,
    byModel: byModel.map((r) => ({ provider: r.provider, model: r.model, calls: r.calls, costUsd: Number(r.cost) })),
  };
}

/** The tenant's monthly budget: its own setting wins over the deployment-wide default. */
export function monthlyBudgetUsd(tenant: Tenant, fallback: number | undefined): number | undefined {
  const own = (tenant.settings as { llm_monthly_budget_usd?: unknown }).llm_monthly_budget_usd;
  return typeof own === 'number' && own >= 0 ? own : fallback;
}

/**
 * True when the tenant has spent its budget this month. The first time in a
 * month it also raises an 'llm_budget' alert for each active admin (the
 * dedupe key makes it once per month).
 */
export async function overBudget(sql: Sql, tenant: Tenant, budgetUsd: number | undefined, now: Date): Promise<boolean> {
  if (budgetUsd === undefined) return false;
  const month = monthOf(now);
  const { start, end } = monthRange(month);
  const spent = Number(
    (await sql.query<{ cost: string }>(`SELECT coalesce(sum(cost_usd), 0)::text AS cost FROM llm_usage WHERE created_at >= $1 AND created_at < $2`, [start, end])).rows[0]!.cost,
  );
  if (spent < budgetUsd) return false;
  const dedupe = `llm_budget:${month}`;
  const exists = (await sql.query(`SELECT 1 FROM alerts WHERE dedupe_key = $1 LIMIT 1`, [dedupe])).rows.length > 0;
  if (!exists) {
    const admins = (await sql.query<{ id: string }>(`SELECT id FROM staff_users WHERE role = 'admin' AND active ORDER BY email`)).rows;
    for (const a of admins.length ? admins : [{ id: null as string | null }]) {
      await sql.query(
        `INSERT INTO alerts (tenant_id, kind, target_staff_id, dedupe_key, payload, created_at) VALUES ($1, 'llm_budget', $2, $3, $4, $5)`,
        [tenant.id, a.id, dedupe, JSON.stringify({ month, spent_usd: Number(spent.toFixed(4)), budget_usd: budgetUsd }), now],
      );
    }
  }
  return true;
}
