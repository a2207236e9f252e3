import { Queue, type Worker } from 'bullmq';
import client from 'prom-client';
import type { Database } from '../db/database.ts';
import { withSystem } from '../db/tenant.ts';
import type { RedisHandle } from '../redis.ts';
import { bullConnection, QUEUE_NAMES } from './queues.ts';
import { REPORTS_QUEUE } from './reports.ts';
import { FOLLOWUPS_QUEUE } from './followups.ts';
import { ALERTS_QUEUE } from './alerts.ts';

/**
 * Prometheus metrics. Durations are observed as jobs finish in this process;
 * everything else (queue depths, sends, failures, alerts, LLM calls) is read
 * from Redis and Postgres at scrape time, so every process reports the same
 * totals and nothing is lost on restart.
 */
export const ALL_QUEUES = [QUEUE_NAMES.turns, QUEUE_NAMES.delivery, REPORTS_QUEUE, FOLLOWUPS_QUEUE, ALERTS_QUEUE] as const;

const jobDuration = new client.Histogram({
  name: 'closer_job_duration_seconds',
  help: 'Time from a job starting to finishing, by queue and outcome.',
  labelNames: ['queue', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

/** Records each finished job's duration. */
export function observeWorker(worker: Worker): void {
  const record = (outcome: 'completed' | 'failed') => (job: { processedOn?: number | undefined; finishedOn?: number | undefined } | undefined) => {
    if (job?.processedOn && job.finishedOn) jobDuration.observe({ queue: worker.name, outcome }, (job.finishedOn - job.processedOn) / 1000);
  };
  worker.on('completed', record('completed'));
  worker.on('failed', record('failed'));
}

export interface MetricsHandle {
  render(): Promise<{ contentType: string; body: string }>;
  /** The queues as BullMQ objects (for the dashboard). */
  queues: Queue[];
  close(): Promise<void>;
}

/** How long one scrape's figures are served again: a scrape storm costs one set of queries per period, not one per request. */
export const METRICS_CACHE_MS = 15_000;

export function createMetrics(db: Database, redis: RedisHandle, prefix: string, cacheMs = METRICS_CACHE_MS): MetricsHandle {
  const registry = new client.Registry();
  registry.registerMetric(jobDuration);
  const queues = ALL_QUEUES.map((name) => new Queue(name, { connection: bullConnection(redis.options), prefix }));
  new client.Gauge({
    name: 'closer_queue_jobs',
    help: 'Jobs in each queue by state.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of queues) {
        const counts = await q.getJobCounts('wait', 'active', 'delayed', 'failed', 'completed', 'prioritized');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
      }
    },
  });
  const fromDb = <L extends string>(name: string, help: string, labelNames: readonly L[], query: string) =>
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        const rows = await withSystem(db, async (sql) => (await sql.query<Record<L | 'n', string | number>>(query)).rows);
        for (const r of rows) {
          const labels = Object.fromEntries(labelNames.map((l) => [l, String(r[l])])) as Record<L, string>;
          this.set(labels, Number(r.n));
        }
      },
    });
  fromDb('closer_outbound_messages_24h', 'Outbound messages created in the last 24 hours, by channel and status (sent, failed, pending…).', ['channel', 'status'], `SELECT c.channel, m.status, count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.direction = 'out' AND m.created_at > now() - interval '24 hours' GROUP BY 1, 2`);
  // Every status appears, zero included: a series that vanishes when its count drops to 0 breaks rate() and alert rules.
  fromDb('closer_followups', 'Follow-up executions by status.', ['status'],
    `SELECT s.status, count(f.id) AS n FROM unnest(ARRAY['pending', 'sending', 'sent', 'skipped', 'failed', 'cancelled']) AS s(status)
     LEFT JOIN followup_executions f ON f.status = s.status GROUP BY 1`);
  fromDb('closer_alerts_24h', 'Alerts raised in the last 24 hours, by kind and status.', ['kind', 'status'], `SELECT kind, status, count(*) AS n FROM alerts WHERE created_at > now() - interval '24 hours' GROUP BY 1, 2`);
  fromDb('closer_digests_24h', 'Morning digests of the last 24 hours, by kind (rep, manager) and status (sent, skipped, failed).', ['kind', 'status'], `SELECT kind, status, count(*) AS n FROM digests WHERE created_at > now() - interval '24 hours' GROUP BY 1, 2`);
  fromDb('closer_anomaly_alerts_24h', 'Anomaly alerts (new episodes) of the last 24 hours, by metric and status.', ['metric', 'status'], `SELECT metric, status, count(*) AS n FROM anomalies WHERE created_at > now() - interval '24 hours' GROUP BY 1, 2`);
  fromDb('closer_llm_calls_24h', 'LLM calls in the last 24 hours, by provider, model and outcome.', ['provider', 'model', 'outcome'], `SELECT provider, model, outcome, count(*) AS n FROM llm_usage WHERE created_at > now() - interval '24 hours' GROUP BY 1, 2, 3`);
  let cached: { at: number; body: Promise<string> } | undefined;
  return {
    queues,
    async render() {
      // Single flight: concurrent scrapes share one collection; a failed one is not kept.
      if (!cached || Date.now() - cached.at >= cacheMs) {
        const body = registry.metrics();
        const entry = { at: Date.now(), body };
        cached = entry;
        body.catch(() => {
          if (cached === entry) cached = undefined;
        });
      }
      return { contentType: registry.contentType, body: await cached.body };
    },
    async close() {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}
