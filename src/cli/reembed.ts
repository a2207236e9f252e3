import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { withCliDatabase } from './database.ts';

/**
 * `closer reembed [--tenant <slug>] [--all]`: after changing
 * EMBEDDINGS_PROVIDER (or its model), rebuilds the playbook and knowledge
 * vectors made by another model. Progress goes to stderr, the JSON summary to
 * stdout.
 */
export function registerReembed(program: Command): void {
  program
    .command('reembed')
    .description('Rebuild playbook and knowledge vectors whose embedding model differs from the configured one (EMBEDDINGS_PROVIDER).')
    .option('--tenant <slug>', 'only this tenant (repeatable); default: every tenant', (v: string, acc: string[] = []) => [...acc, v])
    .option('--all', 'rebuild every vector, also those already made by the configured model')
    .option('--batch-size <n>', 'texts per provider request', (v) => Number.parseInt(v, 10), 64)
    .action(async (opts: { tenant?: string[]; all?: boolean; batchSize: number }) => {
      const cfg = loadConfig();
      const log = createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn');
      const { createEmbedder } = await import('../core/embeddings/provider.ts');
      const { reembed } = await import('../core/embeddings/reembed.ts');
      if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error('--batch-size must be a positive integer');
      const embedder = await createEmbedder(cfg.embeddings);
      const started = Date.now();
      const summary = await withCliDatabase(cfg, log, (db) =>
        reembed(db, embedder, {
          tenants: opts.tenant ?? [],
          all: opts.all ?? false,
          batchSize: opts.batchSize,
          onProgress: (p) => process.stderr.write(`${p.tenant} ${p.table}: ${p.done}/${p.total}\n`),
        }),
      );
      process.stdout.write(JSON.stringify({ provider: cfg.embeddings.provider, ...summary, ms: Date.now() - started }, null, 2) + '\n');
    });
}
