import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

/**
 * Every setting Closer reads from the environment, validated once at start-up.
 * A bad value stops start-up with the variable's name and an example, instead
 * of failing later in some worker.
 */
const flag = z
  .enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'])
  .transform((v) => ['1', 'true', 'on', 'yes'].includes(v));

const EXAMPLES: Record<string, string> = {
  DATABASE_URL: 'postgres://closer:secret@localhost:5432/closer',
  REDIS_URL: 'redis://127.0.0.1:6379',
  PORT: '3000',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  CLOSER_SECRET_KEY: '<64 hex characters, e.g. from `openssl rand -hex 32`>',
  LOCAL_CHAT: 'on',
  TURN_DEBOUNCE_MS: '250',
  TURN_TIMEOUT_MS: '20000',
  CLOSER_HOME: './.closer',
  REDIS_PREFIX: 'closer',
  DEMO_SEED: 'on',
  NODE_ENV: 'production',
};

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL')
    .optional(),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _.:- only').default('closer'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CLOSER_HOME: z.string().min(1).default('.closer'),
  CLOSER_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)')
    .optional(),
  LOCAL_CHAT: flag.optional(),
  DEMO_SEED: flag.optional(),
  TURN_DEBOUNCE_MS: z.coerce.number().int().min(0).max(10_000).default(250),
  TURN_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(20_000),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  /** Server Postgres URL, or undefined for the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** External Redis URL, or undefined for a private redis-server child process. */
  redisUrl: string | undefined;
  redisPrefix: string;
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  /** Absolute path of the folder that holds the embedded database, private Redis and local secrets. */
  home: string;
  secretKeyHex: string | undefined;
  /** The local web chat lets anyone impersonate any demo person: on by default only on embedded defaults. */
  localChat: boolean;
  /** Seed the demo tenants on first start (embedded defaults only, unless asked). */
  demoSeed: boolean;
  turnDebounceMs: number;
  turnTimeoutMs: number;
}

/**
 * Parses the environment (process.env by default).
 *
 * @example loadConfig({ PORT: '8080' }).port === 8080
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = env[key];
    // An empty variable (FOO= in a .env file) means "not set".
    if (v !== undefined && v.trim() !== '') cleaned[key] = v.trim();
  }
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      const example = EXAMPLES[name];
      return `  ${name}: ${issue.message}${example ? ` (example: ${name}=${example})` : ''}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`, {
      variables: parsed.error.issues.map((i) => i.path[0]),
    });
  }
  const e = parsed.data;
  const embedded = e.DATABASE_URL === undefined;
  return {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    home: path.resolve(cwd, e.CLOSER_HOME),
    secretKeyHex: e.CLOSER_SECRET_KEY,
    localChat: e.LOCAL_CHAT ?? embedded,
    demoSeed: e.DEMO_SEED ?? embedded,
    turnDebounceMs: e.TURN_DEBOUNCE_MS,
    turnTimeoutMs: e.TURN_TIMEOUT_MS,
  };
}
