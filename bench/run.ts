import { benchTurnLatency } from './turn-latency.ts';

/**
 * `npm run bench`: runs the benchmarks and prints one JSON object of figures.
 * Options: --turns N (default 200). REDIS_URL picks a Redis; otherwise a
 * private redis-server is started, as on embedded defaults.
 */
const args = process.argv.slice(2);
const num = (flag: string, def: number) => {
  const i = args.indexOf(flag);
  const v = i >= 0 ? Number(args[i + 1]) : def;
  return Number.isFinite(v) && v > 0 ? v : def;
};

const results: Record<string, unknown>[] = [];
results.push(await benchTurnLatency({ turns: num('--turns', 200), redisUrl: process.env.REDIS_URL }));
process.stdout.write(JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, results }, null, 2) + '\n');
process.exit(0);
