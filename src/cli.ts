import fs from 'node:fs';
import readline from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { describeError } from './errors.ts';
import type { App } from './app.ts';
import { readLock } from './lock.ts';
import { withCliDatabase } from './cli/database.ts';
import type { AskResult, LocalSendInput } from './bots/local/session.ts';
import { remoteAsk } from './bots/local/client.ts';
import { partToText } from './core/messages/types.ts';

// The app (BullMQ, PGlite, the HTTP server…) is loaded only by commands that run it, so
// `closer ask` forwarding to a running process starts fast.
const loadApp = () => import('./app.ts');

/**
 * The `closer` command: run the product (start / web / worker), manage the
 * database (migrate / seed) and talk to the agent (chat / ask).
 */
const program = new Command();
program
  .name('closer')
  .description('Closer: a chat-first AI sales assistant. Run `closer start` to try it locally (embedded database, private Redis, demo data).')
  .showHelpAfterError();

function config(): Config {
  return loadConfig();
}

function quietLogger(cfg: Config): Logger {
  // Commands that print results keep the log to warnings unless LOG_LEVEL says otherwise.
  return createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn');
}

async function runForever(app: App, log: Logger): Promise<void> {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing jobs in progress');
    await app.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await new Promise(() => undefined);
}

/** Each active channel account's webhook URL, for `closer start` to print. */
async function activeWebhookLines(app: App, cfg: Config): Promise<string> {
  const { listAccounts, webhookUrl } = await import('./cli/channels.ts');
  const active = (await listAccounts(app.db)).filter((a) => a.status === 'active');
  return active.map((a) => `  Webhook (${a.tenant} ${a.channel}): ${webhookUrl(cfg, a.channel, a.id)}${a.note ? `  [${a.note}]` : ''}\n`).join('');
}

program
  .command('start')
  .description('Run everything in one process: HTTP server (webhooks, local web chat, health) and the workers. With no DATABASE_URL/REDIS_URL it uses an embedded PostgreSQL and a private redis-server under ./.closer, and seeds the demo tenants on first start.')
  .action(async () => {
    const t0 = performance.now();
    const cfg = config();
    const log = createLogger(cfg.logLevel);
    const app = await (await loadApp()).startApp({ config: cfg, log, http: true, workers: true });
    const ms = Math.round(performance.now() - t0);
    log.info({ ms, url: app.http?.url, database: app.db.kind, redis: app.redis.description }, 'ready');
    const { embeddedSizeWarning } = await import('./db/size.ts');
    const sizeWarning = await embeddedSizeWarning(app.db);
    if (sizeWarning) log.warn(sizeWarning);
    process.stdout.write(
      `\nCloser is ready in ${(ms / 1000).toFixed(1)} s.\n` +
        (cfg.localChat ? `  Chat in your browser: ${app.http?.newLoginLink()}\n                       (a one-time link; \`npx closer web-link\` prints another)\n` : '') +
        `  Or in a terminal:    npx closer chat --tenant demo-clinic --as rep\n` +
        `  One turn as JSON:    npx closer ask --tenant demo-realty --as customer "مرحبا" --json\n` +
        `  Health:              ${app.http?.url}/readyz\n` +
        (await activeWebhookLines(app, cfg)) +
        (sizeWarning ? `  Note: ${sizeWarning}\n` : '') +
        '\n',
    );
    await runForever(app, log);
  });

program
  .command('web-link')
  .description('Print a new one-time link that signs a browser into the local web chat of the running `closer start` (the link works once).')
  .action(async () => {
    const cfg = config();
    const holder = cfg.databaseUrl ? undefined : readLock(cfg.home);
    if (!holder || holder.pid === process.pid) throw new InvalidArgumentError('no running Closer found in CLOSER_HOME: start it with `npx closer start` (it prints a link too)');
    const { remoteLoginLink } = await import('./bots/local/client.ts');
    process.stdout.write(`${await remoteLoginLink(holder)}\n`);
  });

program
  .command('web')
  .description('Run only the HTTP server (webhooks, local web chat, health); pair it with `closer worker` processes.')
  .action(async () => {
    const cfg = config();
    const log = createLogger(cfg.logLevel);
    const app = await (await loadApp()).startApp({ config: cfg, log, http: true, workers: false });
    log.info({ url: app.http?.url }, 'web ready');
    await runForever(app, log);
  });

program
  .command('worker')
  .description('Run only the queue workers (turns, delivery, reconciler); run several for more throughput.')
  .action(async () => {
    const cfg = config();
    const log = createLogger(cfg.logLevel);
    const app = await (await loadApp()).startApp({ config: cfg, log, http: false, workers: true, seed: false });
    log.info('worker ready');
    await runForever(app, log);
  });

program
  .command('migrate')
  .description('Apply database migrations that have not run yet (a second run does nothing).')
  .action(async () => {
    const cfg = config();
    const { migrate } = await import('./db/migrate.ts');
    const r = await withCliDatabase(cfg, quietLogger(cfg), (db) => migrate(db), { migrate: false });
    process.stdout.write(r.applied.length ? `Applied: ${r.applied.join(', ')}\n` : `Nothing to apply (${r.skipped.length} migrations already applied).\n`);
  });

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
}

program
  .command('seed')
  .description('Load the demo tenants (demo-clinic, demo-realty): staff, leads, activities, deals, catalogue, listings, playbooks.')
  .option('--demo', 'seed the demo tenants (the only seed there is today)')
  .option('--scale <n>', 'multiply the volume (leads, activities, deals) for benchmarks', positiveInt, 1)
  .option('--tenant <slug...>', 'only these demo tenants')
  .option('--reset', 'delete and re-create the demo tenants if they exist')
  .action(async (opts: { demo?: boolean; scale: number; tenant?: string[]; reset?: boolean }) => {
    if (!opts.demo) throw new InvalidArgumentError('say what to seed: `closer seed --demo`');
    const cfg = config();
    const { seedDemo } = await import('./db/seed/index.ts');
    const report = await withCliDatabase(cfg, quietLogger(cfg), (db) =>
      seedDemo(db, { scale: opts.scale, tenants: opts.tenant, reset: opts.reset, log: (m: string) => process.stderr.write(m + '\n') }),
    );
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  });

/**
 * Runs turns through the pipeline: in the running `closer start` process when
 * there is one (it owns the embedded database), otherwise in this process.
 */
async function withTurnRunner<T>(fn: (ask: (input: LocalSendInput) => Promise<AskResult>) => Promise<T>): Promise<T> {
  const cfg = config();
  const timeout = cfg.turnTimeoutMs + 15_000;
  const holder = cfg.databaseUrl ? undefined : readLock(cfg.home);
  if (holder && holder.pid !== process.pid) return fn((input) => remoteAsk(holder, input, timeout));
  const log = quietLogger(cfg);
  // A single command has no burst to wait for: answer at once.
  const [{ startApp }, { localAsk }] = await Promise.all([loadApp(), import('./bots/local/session.ts')]);
  const app = await startApp({ config: { ...cfg, turnDebounceMs: 0 }, log, http: false, workers: true });
  try {
    return await fn((input) => localAsk(app.local, input, timeout));
  } finally {
    await app.stop();
  }
}

/** One line of `ask --file`: tenant, as and chat fall back to the command's own options, so a file of plain {"text": …} lines works too. */
const LineSchema = (line: string, n: number, defaults: { tenant?: string | undefined; as: string; chat?: string | undefined }): LocalSendInput => {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new InvalidArgumentError(`line ${n}: not JSON`);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const tenant = typeof o.tenant === 'string' ? o.tenant : defaults.tenant;
  const as = typeof o.as === 'string' ? o.as : defaults.as;
  if (typeof v !== 'object' || v === null || !tenant || (typeof o.text !== 'string' && typeof o.payload !== 'object')) {
    throw new InvalidArgumentError(`line ${n}: expected {"tenant": "...", "as": "...", "text": "..."} (tenant and as may come from --tenant and --as)`);
  }
  return { tenant, as, text: typeof o.text === 'string' ? o.text : undefined, payload: o.payload as LocalSendInput['payload'], chat: typeof o.chat === 'string' ? o.chat : defaults.chat };
};

function printHuman(r: AskResult): void {
  for (const reply of r.replies) {
    process.stdout.write(reply.parts.length ? reply.parts.map(partToText).join('\n\n') + '\n' : reply.text + '\n');
  }
}

program
  .command('ask')
  .description('Run one turn through the real pipeline and print the reply. Works whether or not `closer start` is running.')
  .option('--tenant <slug>', 'tenant slug, e.g. demo-clinic or demo-realty (required unless every --file line names one)')
  .option('--as <who>', 'rep | manager | admin | customer | a staff email | channel:id (e.g. telegram:12345)', 'rep')
  .option('--json', 'print the result as JSON: {reply, toolCalls, mode, inboundMessageId, outboundMessageIds, …}')
  .option('--file <file.jsonl>', 'run one turn per line of {"tenant", "as", "text"} and print one JSON result per line')
  .option('--chat <name>', 'use a separate chat with this person (default: their main local chat)')
  .option('--payload <json>', 'press a button: {"action": "...", "args": {...}}')
  .argument('[text...]', 'what to say')
  .action(async (words: string[], opts: { tenant?: string; as: string; json?: boolean; file?: string; chat?: string; payload?: string }) => {
    if (opts.file) {
      const lines = fs.readFileSync(opts.file, 'utf8').split('\n').map((l) => l.trim());
      const inputs = lines.map((l, i) => (l ? LineSchema(l, i + 1, opts) : undefined));
      await withTurnRunner(async (ask) => {
        for (const input of inputs) {
          if (!input) continue;
          try {
            process.stdout.write(JSON.stringify(await ask(input)) + '\n');
          } catch (err) {
            process.stdout.write(JSON.stringify({ tenant: input.tenant, as: input.as, text: input.text, error: describeError(err) }) + '\n');
          }
        }
      });
      return;
    }
    const text = words.join(' ');
    let payload: LocalSendInput['payload'];
    if (opts.payload) {
      try {
        payload = JSON.parse(opts.payload) as LocalSendInput['payload'];
      } catch {
        throw new InvalidArgumentError('--payload must be JSON like {"action":"lookup_lead","args":{"query":"Nok"}}');
      }
    }
    if (!text.trim() && !payload) throw new InvalidArgumentError('say something: closer ask --tenant demo-clinic --as rep "tell me about Nok"');
    const tenant = opts.tenant;
    if (!tenant) throw new InvalidArgumentError('say which tenant: closer ask --tenant demo-clinic --as rep "tell me about Nok"');
    await withTurnRunner(async (ask) => {
      try {
        const r = await ask({ tenant, as: opts.as, text: text || undefined, payload, chat: opts.chat });
        if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else printHuman(r);
      } catch (err) {
        if (opts.json) process.stdout.write(JSON.stringify({ error: describeError(err) }) + '\n');
        throw err;
      }
    });
  });

program
  .command('chat')
  .description('Chat with the agent in this terminal, as a person of a tenant. Type a number to press a button, /quit to leave.')
  .requiredOption('--tenant <slug>', 'tenant slug, e.g. demo-clinic or demo-realty')
  .option('--as <who>', 'rep | manager | admin | customer | a staff email | channel:id', 'rep')
  .option('--chat <name>', 'use a separate chat with this person')
  .action(async (opts: { tenant: string; as: string; chat?: string }) => {
    await withTurnRunner(async (ask) => {
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
      let buttons: { label: string; payload: { action: string; args: Record<string, string> } }[] = [];
      process.stdout.write(`Chatting with Closer (${opts.tenant}) as ${opts.as}. Type "help", or /quit to leave.\n`);
      rl.setPrompt('> ');
      rl.prompt();
      for await (const raw of rl) {
        const line = raw.trim();
        if (line === '/quit' || line === '/exit') break;
        if (!line) {
          rl.prompt();
          continue;
        }
        const pressed = /^\d+$/.test(line) ? buttons[Number(line) - 1] : undefined;
        try {
          const r = await ask({ tenant: opts.tenant, as: opts.as, chat: opts.chat, ...(pressed ? { payload: pressed.payload } : { text: line }) });
          printHuman(r);
          buttons = r.replies.flatMap((m) => m.parts.flatMap((p) => (p.type === 'buttons' ? p.buttons : [])));
        } catch (err) {
          process.stdout.write(`! ${describeError(err)}\n`);
        }
        rl.prompt();
      }
      rl.close();
    });
  });

import { registerScores } from './cli/scores.ts';
registerScores(program);

import { registerListings } from './cli/listings.ts';
registerListings(program);

import { registerLeads } from './cli/leads.ts';
registerLeads(program);

import { registerUsage } from './cli/usage.ts';
registerUsage(program);

import { registerReembed } from './cli/reembed.ts';
registerReembed(program);

import { registerChannels } from './cli/channels.ts';
registerChannels(program);

import { registerSlack } from './cli/slack.ts';
registerSlack(program);

import { registerJobs } from './cli/jobs.ts';
registerJobs(program);

import { registerDigests } from './cli/digests.ts';
registerDigests(program);

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`closer: ${describeError(err)}\n`);
    process.exit(1);
  },
);
