import type { Figure } from './lib/cli.ts';

/**
 * What "fast enough" means, per figure key (demo-realty at --scale 200:
 * 100,000 leads; server PostgreSQL on a 2-core machine). The report marks
 * each figure against its target; a figure without a target is informative.
 */
export const TARGETS: Record<string, { text: string; ok: (v: number) => boolean }> = {
  hot_list_rep_p95_ms: { text: 'p95 < 20 ms', ok: (v) => v < 20 },
  hot_list_manager_p95_ms: { text: 'p95 < 20 ms', ok: (v) => v < 20 },
  search_exact_p95_ms: { text: 'p95 < 30 ms', ok: (v) => v < 30 },
  search_typo_p95_ms: { text: 'p95 < 30 ms', ok: (v) => v < 30 },
  search_first_name_p95_ms: { text: 'p95 < 30 ms', ok: (v) => v < 30 },
  search_latin_alias_p95_ms: { text: 'p95 < 30 ms', ok: (v) => v < 30 },
  search_typo_recall: { text: '≥ 0.95', ok: (v) => v >= 0.95 },
  bi_golden_p95_ms: { text: 'p95 < 300 ms', ok: (v) => v < 300 },
  objection_p95_ms: { text: 'p95 < 50 ms', ok: (v) => v < 50 },
  schedule_followups_s: { text: '100k in < 20 s', ok: (v) => v < 20 },
  csv_import_rows_per_s: { text: '≥ 2,000 rows/s', ok: (v) => v >= 2000 },
  dispatch_ratio_to_bullmq: { text: '≥ 0.5× raw BullMQ', ok: (v) => v >= 0.5 },
  telegram_ack_ratio: { text: '≥ 0.5× bare grammY', ok: (v) => v >= 0.5 },
  telegram_ack_p99_ms: { text: 'p99 < 50 ms', ok: (v) => v < 50 },
  slack_ack_ratio: { text: '≥ 0.5× bare Bolt', ok: (v) => v >= 0.5 },
  slack_ack_p99_ms: { text: 'p99 < 50 ms', ok: (v) => v < 50 },
  rules_turn_50_p50_ms: { text: 'p50 < 50 ms', ok: (v) => v < 50 },
  rules_turn_50_p99_ms: { text: 'p99 < 250 ms', ok: (v) => v < 250 },
  telegram_limits_kept: { text: 'yes', ok: (v) => v === 1 },
};

/** true / false against the figure's target; undefined when it has none or no value. */
export function judge(f: Figure): boolean | undefined {
  const t = TARGETS[f.key];
  if (!t || f.value === null || f.value === undefined) return undefined;
  return t.ok(f.value);
}
