import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import type { FloodSettings } from './core/limits.ts';

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
  LOCAL_CHAT_PASSWORD: '<at least 12 characters, e.g. from `openssl rand -base64 18`>',
  METRICS_TOKEN: '<at least 16 characters, e.g. from `openssl rand -hex 24`>',
  PUBLIC_URL: 'https://closer.example.com',
  MSTEAMS_ALLOW_ANONYMOUS: 'on',
  TRUST_PROXY: 'on',
  ADMIN_USER: 'admin',
  ADMIN_PASSWORD: '<at least 12 characters, e.g. from `openssl rand -base64 18`>',
  TURN_DEBOUNCE_MS: '250',
  TURN_TIMEOUT_MS: '20000',
  INBOUND_RATE_LIMIT: '20',
  INBOUND_RATE_WINDOW_S: '60',
  LLM_CALLS_PER_CONVERSATION_HOUR: '60',
  CLOSER_HOME: './.closer',
  REDIS_PREFIX: 'closer',
  DEMO_SEED: 'on',
  DAILY_JOBS: 'on',
  NODE_ENV: 'production',
  LLM_PROVIDER: 'gemini (or openai, or none for rules mode)',
  GOOGLE_API_KEY: '<your Gemini API key>',
  GEMINI_MODEL: 'gemini-2.5-flash',
  GEMINI_BASE_URL: 'https://generativelanguage.googleapis.com',
  OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
  OPENAI_API_KEY: 'sk-... (any non-empty value for Ollama)',
  OPENAI_MODEL: 'qwen2.5:7b-instruct',
  LLM_MAX_STEPS: '6',
  LLM_TIMEOUT_MS: '14000',
  LLM_MONTHLY_BUDGET_USD: '50',
  LLM_MEMORY_TOKENS: '2000',
  EMBEDDINGS_PROVIDER: 'local (or gemini, or openai)',
  GEMINI_EMBEDDING_MODEL: 'gemini-embedding-001',
  OPENAI_EMBEDDING_MODEL: 'text-embedding-3-small',
  SLACK_CLIENT_ID: '<Client ID from your Slack app\'s Basic Information page>',
  SLACK_CLIENT_SECRET: '<Client Secret from the same page>',
  SLACK_SIGNING_SECRET: '<Signing Secret from the same page>',
  SLACK_STATE_SECRET: '<at least 32 characters, e.g. from `openssl rand -hex 32`>',
  SLACK_OAUTH_AUTHORIZE_URL: 'https://slack.com/oauth/v2/authorize',
  SLACK_API_URL: 'https://slack.com/api/',
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
  LOCAL_CHAT_PASSWORD: z.string().min(12, 'at least 12 characters').max(200).optional(),
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').max(500).optional(),
  PUBLIC_URL: z.url().optional(),
  MSTEAMS_ALLOW_ANONYMOUS: flag.optional(),
  TRUST_PROXY: flag.optional(),
  ADMIN_USER: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'letters, digits and _.@- only').optional(),
  ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').max(200).optional(),
  DEMO_SEED: flag.optional(),
  DAILY_JOBS: flag.optional(),
  TURN_DEBOUNCE_MS: z.coerce.number().int().min(0).max(10_000).default(250),
  TURN_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(20_000),
  // Flood limits (issue #12 item 7); 0 turns one off.
  INBOUND_RATE_LIMIT: z.coerce.number().int().min(0).max(100_000).default(20),
  INBOUND_RATE_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(60),
  LLM_CALLS_PER_CONVERSATION_HOUR: z.coerce.number().int().min(0).max(100_000).default(60),
  LLM_PROVIDER: z.enum(['gemini', 'openai', 'none']).optional(),
  GOOGLE_API_KEY: z.string().min(1).optional(),
  GEMINI_MODEL: z.string().min(1).default('gemini-2.5-flash'),
  GEMINI_BASE_URL: z.url().optional(),
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_MODEL: z.string().min(1).optional(),
  LLM_MAX_STEPS: z.coerce.number().int().min(1).max(20).default(6),
  LLM_TIMEOUT_MS: z.coerce.number().int().min(500).max(300_000).optional(),
  LLM_MONTHLY_BUDGET_USD: z.coerce.number().min(0).optional(),
  LLM_MEMORY_TOKENS: z.coerce.number().int().min(100).max(100_000).default(2000),
  EMBEDDINGS_PROVIDER: z.enum(['local', 'gemini', 'openai']).default('local'),
  GEMINI_EMBEDDING_MODEL: z.string().min(1).default('gemini-embedding-001'),
  OPENAI_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  SLACK_CLIENT_ID: z.string().regex(/^[A-Za-z0-9.]{3,100}$/, 'letters, digits and dots only').optional(),
  SLACK_CLIENT_SECRET: z.string().min(8, 'at least 8 characters').max(200).optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, 'at least 8 characters').max(200).optional(),
  SLACK_STATE_SECRET: z.string().min(32, 'at least 32 characters').max(500).optional(),
  SLACK_OAUTH_AUTHORIZE_URL: z.url().optional(),
  SLACK_API_URL: z.url().optional(),
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
  /**
   * The local web chat lets whoever holds its session impersonate anyone: on by default only on embedded
   * defaults bound to a loopback address outside production; anywhere else only with LOCAL_CHAT=on and a password.
   */
  localChat: boolean;
  /** Set when the local chat runs where loopback alone does not protect it: the login form asks for it. */
  localChatPassword: string | undefined;
  /** Bearer token for /metrics; without it /metrics answers only loopback clients. */
  metricsToken: string | undefined;
  /** The https address the platforms reach (also an allowed Host for a password-protected local chat). */
  publicUrl: string | undefined;
  /** Development only: Teams accounts without app credentials (authentication off) are accepted. */
  msteamsAllowAnonymous: boolean;
  /** Behind a reverse proxy: the client address for per-IP limits comes from X-Forwarded-For. */
  trustProxy: boolean;
  /** Seed the demo tenants on first start (embedded defaults only, unless asked). */
  demoSeed: boolean;
  /** Morning digests and daily anomaly checks in the scheduler pass (on unless turned off). */
  dailyJobs: boolean;
  turnDebounceMs: number;
  turnTimeoutMs: number;
  /** Per-identity inbound bucket and per-conversation model-call cap (src/core/limits.ts). */
  flood: FloodSettings;
  llm: LlmConfig;
  embeddings: EmbeddingsConfig;
  /** Basic-auth credentials for /admin/queues; undefined keeps the dashboard off. */
  admin: { user: string; password: string } | undefined;
  /** The distributed Slack app's credentials for the OAuth install flow; undefined keeps /slack/install off. */
  slackOAuth: SlackOAuthConfig | undefined;
}

/** What the Slack install flow needs. Secrets here are never logged. */
export interface SlackOAuthConfig {
  clientId: string;
  clientSecret: string;
  /** Copied into every workspace installed through the flow, so event verification works as for CLI-added accounts. */
  signingSecret: string;
  /** Signs install links and OAuth states. */
  stateSecret: string;
  /** Slack's authorize page (a local fake in tests). */
  authorizeUrl: string;
  /** Web API base URL for oauth.v2.access, and stored as the installed account's API URL when set. */
  apiUrl: string | undefined;
}

/** The variables the Slack install flow needs, all or none. */
export const SLACK_OAUTH_VARIABLES = ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_SIGNING_SECRET', 'SLACK_STATE_SECRET'] as const;

/** The chat model: none means rules mode. Keys are never logged. */
export type LlmConfig =
  | { provider: 'none'; maxSteps: number; timeoutMs: number; monthlyBudgetUsd: number | undefined; memoryTokens: number }
  | { provider: 'gemini'; model: string; apiKey: string; baseUrl: string | undefined; maxSteps: number; timeoutMs: number; monthlyBudgetUsd: number | undefined; memoryTokens: number }
  | { provider: 'openai'; model: string; apiKey: string; baseUrl: string | undefined; maxSteps: number; timeoutMs: number; monthlyBudgetUsd: number | undefined; memoryTokens: number };

export type EmbeddingsConfig =
  | { provider: 'local' }
  | { provider: 'gemini'; model: string; apiKey: string; baseUrl: string | undefined }
  | { provider: 'openai'; model: string; apiKey: string; baseUrl: string | undefined };

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
  const llm = llmConfig(e);
  const embeddings = embeddingsConfig(e);
  if ((e.ADMIN_USER === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw configError(e.ADMIN_USER === undefined ? 'ADMIN_USER' : 'ADMIN_PASSWORD', 'set both ADMIN_USER and ADMIN_PASSWORD (or neither, which keeps the queue dashboard off)');
  }
  const slackOAuth = slackOAuthConfig(e);
  const local = localChatConfig(e, embedded);
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
    localChat: local.on,
    localChatPassword: local.password,
    metricsToken: e.METRICS_TOKEN,
    publicUrl: e.PUBLIC_URL,
    msteamsAllowAnonymous: e.MSTEAMS_ALLOW_ANONYMOUS ?? false,
    trustProxy: e.TRUST_PROXY ?? false,
    demoSeed: e.DEMO_SEED ?? embedded,
    dailyJobs: e.DAILY_JOBS ?? true,
    turnDebounceMs: e.TURN_DEBOUNCE_MS,
    turnTimeoutMs: e.TURN_TIMEOUT_MS,
    flood: { inboundPerWindow: e.INBOUND_RATE_LIMIT, inboundWindowS: e.INBOUND_RATE_WINDOW_S, modelCallsPerHour: e.LLM_CALLS_PER_CONVERSATION_HOUR },
    llm,
    embeddings,
    admin: e.ADMIN_USER && e.ADMIN_PASSWORD ? { user: e.ADMIN_USER, password: e.ADMIN_PASSWORD } : undefined,
    slackOAuth,
  };
}

/** Loopback addresses: a server bound to one is reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The local chat is a development tool that lets its user act as anyone. It is on by default only where
 * nobody else can reach it (embedded database, loopback address, not production). Anywhere else it needs
 * LOCAL_CHAT=on and LOCAL_CHAT_PASSWORD, so turning it on by mistake cannot hand out every tenant.
 */
function localChatConfig(e: Env, embedded: boolean): { on: boolean; password: string | undefined } {
  const exposed: string[] = [];
  if (!isLoopbackHost(e.HOST)) exposed.push(`HOST=${e.HOST} is not a loopback address`);
  if (e.NODE_ENV === 'production') exposed.push('NODE_ENV=production');
  if (!embedded) exposed.push('DATABASE_URL is set (real customer data)');
  if (e.LOCAL_CHAT === undefined) return { on: exposed.length === 0, password: exposed.length === 0 ? e.LOCAL_CHAT_PASSWORD : undefined };
  if (!e.LOCAL_CHAT) return { on: false, password: undefined };
  if (exposed.length && !e.LOCAL_CHAT_PASSWORD) {
    throw configError('LOCAL_CHAT_PASSWORD', `is required for LOCAL_CHAT=on here (${exposed.join('; ')}): the local chat can act as any person of any tenant`);
  }
  return { on: true, password: e.LOCAL_CHAT_PASSWORD };
}

/** All four app credentials, or none (the install routes then say what to set); half a configuration is a mistake worth stopping for. */
function slackOAuthConfig(e: Env): SlackOAuthConfig | undefined {
  const missing = SLACK_OAUTH_VARIABLES.filter((name) => e[name] === undefined);
  if (missing.length === SLACK_OAUTH_VARIABLES.length) return undefined;
  if (missing.length) throw configError(missing[0]!, `is required for the Slack install flow (set ${SLACK_OAUTH_VARIABLES.join(', ')}, or none of them; missing: ${missing.join(', ')})`);
  return {
    clientId: e.SLACK_CLIENT_ID!,
    clientSecret: e.SLACK_CLIENT_SECRET!,
    signingSecret: e.SLACK_SIGNING_SECRET!,
    stateSecret: e.SLACK_STATE_SECRET!,
    authorizeUrl: e.SLACK_OAUTH_AUTHORIZE_URL ?? 'https://slack.com/oauth/v2/authorize',
    apiUrl: e.SLACK_API_URL,
  };
}

function configError(name: string, message: string): ConfigError {
  const example = EXAMPLES[name];
  return new ConfigError(`Invalid configuration:\n  ${name}: ${message}${example ? ` (example: ${name}=${example})` : ''}`, { variables: [name] });
}

/**
 * Picks the chat provider: LLM_PROVIDER when set, otherwise Gemini when
 * GOOGLE_API_KEY is set, otherwise an OpenAI-compatible endpoint when
 * OPENAI_BASE_URL or OPENAI_API_KEY is set, otherwise rules mode.
 */
function llmConfig(e: Env): LlmConfig {
  // The model gets less than the whole turn, so a rules-mode fallback still fits inside TURN_TIMEOUT_MS.
  const timeoutMs = e.LLM_TIMEOUT_MS ?? Math.max(500, Math.floor(e.TURN_TIMEOUT_MS * 0.7));
  if (timeoutMs >= e.TURN_TIMEOUT_MS) throw configError('LLM_TIMEOUT_MS', `must be less than TURN_TIMEOUT_MS (${e.TURN_TIMEOUT_MS}) so the rules-mode fallback has time to answer`);
  const common = { maxSteps: e.LLM_MAX_STEPS, timeoutMs, monthlyBudgetUsd: e.LLM_MONTHLY_BUDGET_USD, memoryTokens: e.LLM_MEMORY_TOKENS };
  const provider = e.LLM_PROVIDER ?? (e.GOOGLE_API_KEY ? 'gemini' : e.OPENAI_BASE_URL || e.OPENAI_API_KEY ? 'openai' : 'none');
  if (provider === 'gemini') {
    if (!e.GOOGLE_API_KEY) throw configError('GOOGLE_API_KEY', 'is required when LLM_PROVIDER=gemini');
    return { provider, model: e.GEMINI_MODEL, apiKey: e.GOOGLE_API_KEY, baseUrl: e.GEMINI_BASE_URL, ...common };
  }
  if (provider === 'openai') {
    if (!e.OPENAI_MODEL) throw configError('OPENAI_MODEL', 'is required for an OpenAI-compatible provider');
    // Local servers (Ollama, llama.cpp) accept any key; the client library insists on one.
    return { provider, model: e.OPENAI_MODEL, apiKey: e.OPENAI_API_KEY ?? 'not-needed', baseUrl: e.OPENAI_BASE_URL, ...common };
  }
  return { provider: 'none', ...common };
}

function embeddingsConfig(e: Env): EmbeddingsConfig {
  if (e.EMBEDDINGS_PROVIDER === 'gemini') {
    if (!e.GOOGLE_API_KEY) throw configError('GOOGLE_API_KEY', 'is required when EMBEDDINGS_PROVIDER=gemini');
    return { provider: 'gemini', model: e.GEMINI_EMBEDDING_MODEL, apiKey: e.GOOGLE_API_KEY, baseUrl: e.GEMINI_BASE_URL };
  }
  if (e.EMBEDDINGS_PROVIDER === 'openai') {
    return { provider: 'openai', model: e.OPENAI_EMBEDDING_MODEL, apiKey: e.OPENAI_API_KEY ?? 'not-needed', baseUrl: e.OPENAI_BASE_URL };
  }
  return { provider: 'local' };
}
