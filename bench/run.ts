import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactUrl } from '../src/db/database.ts';
import { parseBenchArgs, type Backend, type BenchResult, type Figure } from './lib/cli.ts';
import { TARGETS, judge } from './targets.ts';

/**
 * `npm run bench` — the benchmark suite.
 *
 *   npm run bench                          one local-chat turn latency run (quick look)
 *   npm run bench -- --all                 every bench, on embedded PGlite and, when a server is given, on it too
 *   npm run bench -- --only search,bi      some of them
 *   npm run bench -- --all --database-url postgres://…   (or BENCH_DATABASE_URL)
 *   npm run bench -- --all --quick         small sizes: checks every bench runs (minutes, not an hour)
 *   npm run bench -- --all --server-only | --embedded-only
 *
 * Each bench runs in its own process, one at a time (2 cores: figures from
 * benches running side by side would measure each other), and prints one JSON
 * result. --all writes bench/results/<date>.json with every result and
 * bench/results/<date>.md with one row per figure and a column per backend;
 * every ratio is against a baseline measured in the same run of that bench.
 * Other flags (--scale N, --samples N …) are passed on to every bench.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCHES = ['scoring', 'search', 'bi', 'objections', 'matching', 'import', 'jobs', 'webhooks', 'slack-webhooks', 'turn-latency', 'agent'] as const;
/** Benches that do not take a database (or only ever run on the embedded one). */
const EMBEDDED_ONLY = new Set<string>(['agent']);

const argv = process.argv.slice(2);
const ctx = parseBenchArgs(argv);
const only = ctx.str('--only')?.split(',').map((s) => s.trim()).filter(Boolean);
const all = ctx.has('--all');
const available = BENCHES.filter((b) => fs.existsSync(path.join(ROOT, 'bench', `${b}.ts`)));
const selected: string[] = only ?? (all ? [...available] : ['turn-latency']);
for (const b of selected) {
  if (!available.includes(b as (typeof BENCHES)[number])) {
    process.stderr.write(`unknown bench "${b}"; choose from: ${available.join(', ')}\n`);
    process.exit(2);
  }
}
const backends: Backend[] = [];
if (!ctx.has('--server-only')) backends.push('embedded');
if (ctx.databaseUrl && !ctx.has('--embedded-only')) backends.push('server');
if (backends.length === 0) {
  process.stderr.write('nothing to run: --server-only needs --database-url or BENCH_DATABASE_URL\n');
  process.exit(2);
}

/** Flags handed to each bench: everything but the runner's own. */
function passOn(): string[] {
  const own = new Set(['--all', '--only', '--server-only', '--embedded-only', '--database-url', '--backend']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (own.has(a)) {
      if (a === '--only' || a === '--database-url' || a === '--backend') i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function runOne(bench: string, backend: Backend): Promise<BenchResult | { name: string; backend: Backend; error: string }> {
  const args = [path.join(ROOT, 'bin/run-ts.js'), path.join(ROOT, 'bench', `${bench}.ts`), ...passOn()];
  if (backend === 'server') args.push('--database-url', ctx.databaseUrl!);
  else args.push('--backend', 'embedded');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_DATABASE_URL: '' } });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      stderrTail = (stderrTail + d.toString()).slice(-2000);
    });
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`exited with ${code}: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`);
        const parsed = JSON.parse(stdout) as BenchResult;
        resolve({ ...parsed, name: bench });
      } catch (err) {
        resolve({ name: bench, backend, error: (err as Error).message });
      }
    });
  });
}

const results: (BenchResult | { name: string; backend: Backend; error: string })[] = [];
for (const bench of selected) {
  for (const backend of backends) {
    if (backend === 'server' && EMBEDDED_ONLY.has(bench)) continue;
    process.stderr.write(`\n── bench ${bench} on ${backend} ──\n`);
    results.push(await runOne(bench, backend));
  }
}

const report = {
  at: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  machine: `${os.type()} ${os.release()}, ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  server: ctx.databaseUrl ? redactUrl(ctx.databaseUrl) : null,
  flags: passOn(),
  results,
};

if (all || only) {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = report.at.slice(0, 16).replace(':', '');
  fs.writeFileSync(path.join(dir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, `${stamp}.md`), markdown(report));
  process.stderr.write(`\nbench: wrote bench/results/${stamp}.json and .md\n`);
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exit(results.some((r) => 'error' in r) ? 1 : 0);

function markdown(r: typeof report): string {
  const cols = backends;
  const fmt = (f: Figure | undefined) => {
    if (!f || f.value === null || f.value === undefined) return '—';
    const v = `${f.value.toLocaleString('en', { maximumFractionDigits: 3 })}${f.unit === 'ratio' || f.unit === 'fraction' || f.unit === 'bool' ? '' : ` ${f.unit}`}`;
    const base = f.baseline ? ` (baseline ${f.baseline.value.toLocaleString('en', { maximumFractionDigits: 2 })})` : '';
    const verdict = judge(f);
    return `${v}${base}${verdict === undefined ? '' : verdict ? ' ✅' : ' ❌'}`;
  };
  const lines = [
    `# Benchmarks ${r.at.slice(0, 10)}`,
    '',
    `${r.machine}; Node ${r.node}; load average at the end ${r.loadavg.join(' / ')}. Server: ${r.server ?? 'not run'}. Flags: ${r.flags.join(' ') || '(defaults)'}.`,
    'Each bench ran alone, in its own process; ratios are against a baseline measured in the same run. ✅/❌: against the target.',
    '',
    `| bench | figure | target | ${cols.join(' | ')} |`,
    `|---|---|---|${cols.map(() => '---').join('|')}|`,
  ];
  for (const bench of selected) {
    const per = new Map(cols.map((b) => [b, r.results.find((x) => x.name === bench && x.backend === b)]));
    const keys: string[] = [];
    const labels = new Map<string, string>();
    for (const res of per.values()) {
      if (!res || 'error' in res) continue;
      for (const f of res.figures) {
        if (!keys.includes(f.key)) keys.push(f.key);
        labels.set(f.key, f.label);
      }
    }
    for (const [b, res] of per) if (res && 'error' in res) lines.push(`| ${bench} | **failed on ${b}** | | ${cols.map((c) => (c === b ? res.error.replaceAll('|', '/').slice(0, 200) : '')).join(' | ')} |`);
    for (const key of keys) {
      const cells = cols.map((b) => {
        const res = per.get(b);
        return res && !('error' in res) ? fmt(res.figures.find((f) => f.key === key)) : '—';
      });
      lines.push(`| ${bench} | ${labels.get(key)} | ${TARGETS[key]?.text ?? ''} | ${cells.join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
