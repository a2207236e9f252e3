import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Job, Queue } from 'bullmq';
import { loadConfig, type Config } from '../config.ts';
import { createLogger } from '../log.ts';

/**
 * `closer jobs list|failed|retry|cancel`: the background queues from the
 * terminal. It talks to the same Redis as the running server (REDIS_URL, or
 * the private socket under CLOSER_HOME while `closer start` runs).
 */
const STATES = ['wait', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;
type State = (typeof STATES)[number];

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('Background job queues: list what is waiting, see failures (dead letters), retry or cancel a job.');

  jobs
    .command('list')
    .description('Job counts per queue, and the next jobs in the chosen states.')
    .option('--queue <name>', 'only this queue (turns, delivery, reports, followups, alerts)')
    .option('--state <states>', 'comma-separated: wait, active, delayed, failed, completed, prioritized', 'wait,active,delayed')
    .option('--limit <n>', 'jobs to show per queue (1-200)', count, 20)
    .option('--json', 'print JSON')
    .action(async (opts: { queue?: string; state: string; limit: number; json?: boolean }) => {
      const states = opts.state.split(',').map((s) => s.trim()) as State[];
      for (const s of states) if (!STATES.includes(s)) throw new InvalidArgumentError(`unknown state "${s}" (one of ${STATES.join(', ')})`);
      await withQueues(opts.queue, async (queues) => {
        const out = [];
        for (const q of queues) {
          const counts = await q.getJobCounts(...STATES);
          const list = await q.getJobs(states, 0, opts.limit - 1, true);
          out.push({ queue: q.name, counts, jobs: await Promise.all(list.map(describe)) });
        }
        if (opts.json) return void process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        for (const q of out) {
          process.stdout.write(`${q.queue}: ${Object.entries(q.counts).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
          for (const j of q.jobs) process.stdout.write(`  ${j.id}  ${j.state}${j.runAt ? ` at ${j.runAt}` : ''}  ${JSON.stringify(j.data)}\n`);
        }
      });
    });

  jobs
    .command('failed')
    .description('The dead-letter view: jobs that used up their attempts, with the reason.')
    .option('--queue <name>', 'only this queue')
    .option('--limit <n>', 'jobs per queue (1-200)', count, 50)
    .option('--json', 'print JSON')
    .action(async (opts: { queue?: string; limit: number; json?: boolean }) => {
      await withQueues(opts.queue, async (queues) => {
        const out = [];
        for (const q of queues) for (const j of await q.getJobs(['failed'], 0, opts.limit - 1, false)) out.push({ queue: q.name, ...(await describe(j)) });
        if (opts.json) return void process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        if (!out.length) process.stdout.write('No failed jobs.\n');
        for (const j of out) process.stdout.write(`${j.queue}  ${j.id}  attempts ${j.attempts}  failed ${j.finishedAt ?? '?'}\n    reason: ${j.reason}\n    data: ${JSON.stringify(j.data)}\n`);
        process.stdout.write(
          '\nFollow-ups and messages that failed are also recorded in Postgres (followup_executions.status = failed with reason; messages.status = failed with error); reps see a lead\'s in chat ("show follow-ups for <lead>").\n',
        );
      });
    });

  jobs
    .command('retry <id>')
    .description('Retry a failed job, or run a delayed one now.')
    .option('--queue <name>', 'the queue, when the id is not unique')
    .action(async (id: string, opts: { queue?: string }) => {
      await withQueues(opts.queue, async (queues) => {
        const { queue, job } = await find(queues, id);
        const state = await job.getState();
        if (state === 'failed') await job.retry();
        else if (state === 'delayed') await job.promote();
        else throw new InvalidArgumentError(`job ${id} in ${queue.name} is ${state}; only failed or delayed jobs can be retried`);
        process.stdout.write(`${state === 'failed' ? 'Retrying' : 'Running now'}: ${queue.name} ${id}\n`);
      });
    });

  jobs
    .command('cancel <id>')
    .description('Remove a waiting, delayed or failed job. A follow-up job is re-created from its row, so cancel follow-ups from chat ("cancel follow-ups for <lead>") instead.')
    .option('--queue <name>', 'the queue, when the id is not unique')
    .action(async (id: string, opts: { queue?: string }) => {
      await withQueues(opts.queue, async (queues) => {
        const { queue, job } = await find(queues, id);
        if (queue.name === 'followups' || queue.name === 'delivery' || queue.name === 'turns') {
          throw new InvalidArgumentError(
            `${queue.name} jobs are re-created from Postgres by the reconciler, so removing one would not cancel it. Cancel the follow-up from chat ("cancel follow-ups for <lead>") or let the message fail.`,
          );
        }
        const state = await job.getState();
        if (state === 'active') throw new InvalidArgumentError(`job ${id} is running right now; try again when it has finished`);
        await job.remove();
        process.stdout.write(`Removed ${queue.name} ${id} (was ${state}).\n`);
      });
    });
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new InvalidArgumentError('must be a whole number from 1 to 200');
  return n;
}

async function describe(j: Job) {
  const state = await j.getState();
  return {
    id: j.id ?? '',
    name: j.name,
    state,
    data: j.data as unknown,
    attempts: j.attemptsMade,
    reason: j.failedReason || null,
    runAt: state === 'delayed' ? new Date(j.timestamp + (j.delay ?? 0)).toISOString() : null,
    finishedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
  };
}

async function find(queues: Queue[], id: string): Promise<{ queue: Queue; job: Job }> {
  for (const queue of queues) {
    const job = await queue.getJob(id);
    if (job) return { queue, job };
  }
  throw new InvalidArgumentError(`no job ${id} in ${queues.map((q) => q.name).join(', ')}`);
}

/** Connects to the server's Redis: REDIS_URL, or the private socket of a running `closer start`. */
async function withQueues(only: string | undefined, fn: (queues: Queue[]) => Promise<void>): Promise<void> {
  const cfg: Config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn');
  const [{ Queue }, { ALL_QUEUES }, { bullConnection }, redisMod] = await Promise.all([import('bullmq'), import('../jobs/metrics.ts'), import('../jobs/queues.ts'), import('../redis.ts')]);
  if (only && !(ALL_QUEUES as readonly string[]).includes(only)) throw new InvalidArgumentError(`unknown queue "${only}" (one of ${ALL_QUEUES.join(', ')})`);
  const socket = path.join(cfg.home, 'redis', 'redis.sock');
  let options;
  if (cfg.redisUrl) options = redisMod.redisOptionsFromUrl(cfg.redisUrl);
  else if (fs.existsSync(socket)) options = { path: socket };
  else throw new InvalidArgumentError(`No Redis to look at: set REDIS_URL, or start the server (closer start) so its private Redis (${socket}) is running.`);
  await redisMod.pingRedis(options, cfg.redisUrl ?? socket);
  log.debug({ prefix: cfg.redisPrefix }, 'jobs: connected');
  const queues = (only ? [only] : [...ALL_QUEUES]).map((name) => new Queue(name, { connection: bullConnection(options), prefix: cfg.redisPrefix }));
  try {
    await fn(queues);
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}
