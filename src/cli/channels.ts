import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { ConfigError, NotFoundError } from '../errors.ts';
import type { Database } from '../db/database.ts';
import { withCliDatabase } from './database.ts';
import { readSecrets, secretOptions, secretSources, type SecretSpec } from './secret-input.ts';

/** Where the platforms must post: PUBLIC_URL (the address the internet reaches) or this machine's server. */
export function webhookUrl(cfg: Config, channel: string, accountId: string): string {
  const base = (process.env.PUBLIC_URL ?? `http://localhost:${cfg.port}`).replace(/\/$/, '');
  return `${base}/webhooks/${channel}/${accountId}`;
}

export interface AccountListing {
  id: string;
  tenant: string;
  channel: string;
  name: string;
  external_id: string;
  status: string;
  api_base_url: string | null;
  has_secrets: boolean;
  /** Something an operator must know about the account (a Teams account in anonymous mode), or null. */
  note: string | null;
}

/** Every channel account (never its secrets), optionally of one tenant. */
export async function listAccounts(db: Database, tenantSlug?: string): Promise<AccountListing[]> {
  const { withSystem } = await import('../db/tenant.ts');
  return withSystem(db, async (sql) =>
    (
      await sql.query<AccountListing>(
        `SELECT a.id, t.slug AS tenant, a.channel, a.name, a.external_id, a.status, a.api_base_url, a.secrets_enc IS NOT NULL AS has_secrets,
           CASE WHEN a.channel = 'msteams' AND (a.config->>'anonymous' = 'true' OR NOT a.config ? 'appId') THEN 'anonymous mode: unauthenticated, local testing only'
                WHEN a.channel = 'slack' AND a.config->>'socket_mode' = 'true' THEN 'Socket Mode: events arrive over a WebSocket, this URL is not used' END AS note
         FROM channel_accounts a JOIN tenants t ON t.id = a.tenant_id
         WHERE ($1::text IS NULL OR t.slug = $1) AND a.channel <> 'local'
         ORDER BY t.slug, a.channel, a.name`,
        [tenantSlug ?? null],
      )
    ).rows,
  );
}

/** The secrets each `channels add` command takes, in the order `-stdin` lines are read. */
const TELEGRAM_SECRETS: SecretSpec[] = [
  { flag: 'token', env: 'CLOSER_TELEGRAM_TOKEN', what: 'the bot token from @BotFather ("123456:ABC…")', placeholder: 'token' },
  { flag: 'secret-token', env: 'CLOSER_TELEGRAM_SECRET_TOKEN', what: 'the webhook secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (default: a random one)', placeholder: 's' },
];
const LINE_SECRETS: SecretSpec[] = [
  { flag: 'channel-secret', env: 'CLOSER_LINE_CHANNEL_SECRET', what: 'the channel secret (verifies webhook signatures)', placeholder: 's' },
  { flag: 'access-token', env: 'CLOSER_LINE_ACCESS_TOKEN', what: 'a long-lived channel access token', placeholder: 't' },
];
const MSTEAMS_SECRETS: SecretSpec[] = [{ flag: 'app-password', env: 'CLOSER_MSTEAMS_APP_PASSWORD', what: "the app registration's client secret (its value, not its id)", placeholder: 'secret' }];

function url(v: string): string {
  try {
    return new URL(v).toString().replace(/\/$/, '');
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://127.0.0.1:8081');
  }
}

async function addAccount(cfg: Config, tenantSlug: string, input: { channel: 'telegram' | 'line' | 'msteams'; name: string; externalId: string; secrets: Record<string, string>; config?: Record<string, unknown>; apiBaseUrl: string | null }): Promise<string> {
  const log = createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn');
  const [{ withTenant }, { getTenantBySlug }, { upsertAccount }, { SecretBox, resolveSecretKey }, { withSystem }] = await Promise.all([
    import('../db/tenant.ts'),
    import('../core/tenants.ts'),
    import('../bots/accounts.ts'),
    import('../core/secrets.ts'),
    import('../db/tenant.ts'),
  ]);
  const box = new SecretBox(resolveSecretKey({ keyHex: cfg.secretKeyHex, home: cfg.home, embedded: !cfg.databaseUrl }));
  return withCliDatabase(cfg, log, async (db) => {
    const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, tenantSlug));
    return withTenant(db, tenant.id, (sql) => upsertAccount(sql, tenant.id, box, { ...input, config: input.config ?? {} }));
  });
}

function printAdded(cfg: Config, channel: string, id: string, extra: string[] = []): void {
  process.stdout.write(
    [`Added ${channel} account ${id} (active; secrets encrypted at rest).`, `  Webhook URL: ${webhookUrl(cfg, channel, id)}`, ...extra, `  A running server picks the account up within 30 s.`, ''].join('\n'),
  );
}

/**
 * `closer channels add telegram|line`, `list`, `disable`, `poll telegram`:
 * the chat-platform accounts of a tenant. Secrets go in encrypted and are
 * never printed.
 */
export function registerChannels(program: Command): void {
  const channels = program.command('channels').description('Chat-platform accounts (Telegram bots, LINE official accounts, Microsoft Teams / Web Chat bots) of a tenant: add, list, disable, poll.');
  const add = channels.command('add').description('Add (or replace) a channel account for a tenant.');

  secretOptions(
    add
      .command('telegram')
      .description('Add a Telegram bot: checks the token with getMe (unless --offline) and prints the webhook URL.')
      .requiredOption('--tenant <slug>', 'e.g. demo-realty'),
    TELEGRAM_SECRETS,
  )
    .option('--name <name>', 'a name for the account')
    .option('--api-root <url>', 'Bot API root (a local Bot API server or a test fake)', url)
    .option('--offline', 'do not call Telegram to check the token')
    .option('--set-webhook', 'also tell Telegram to post updates to the webhook URL (needs PUBLIC_URL reachable from the internet)')
    .action(async (flags: { tenant: string; name?: string; apiRoot?: string; offline?: boolean; setWebhook?: boolean }) => {
      const secrets = await readSecrets(flags, TELEGRAM_SECRETS);
      if (!secrets.token) throw new ConfigError(`The bot token is required: ${secretSources(TELEGRAM_SECRETS[0]!)}.`);
      const opts = { ...flags, token: secrets.token, secretToken: secrets['secret-token'] };
      const cfg = loadConfig();
      const { botIdFromToken } = await import('../bots/telegram/client.ts');
      const botId = botIdFromToken(opts.token);
      if (!botId) throw new ConfigError('That is not a Telegram bot token: expected "<bot id>:<secret>" as @BotFather gives it.');
      const secretToken = opts.secretToken ?? randomBytes(24).toString('base64url');
      if (!/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) throw new ConfigError('--secret-token may only use A-Z, a-z, 0-9, _ and - (1-256 characters), as Telegram requires.');
      let botInfo: Record<string, unknown> | undefined;
      const { Api } = await import('grammy');
      const api = new Api(opts.token, opts.apiRoot ? { apiRoot: opts.apiRoot } : {});
      if (!opts.offline) {
        try {
          botInfo = { ...(await api.getMe()) };
        } catch (err) {
          throw new ConfigError(`Telegram did not accept the token: ${(err as Error).message}. Check it with @BotFather, or pass --offline to store it unchecked.`);
        }
      }
      const id = await addAccount(cfg, opts.tenant, {
        channel: 'telegram',
        name: opts.name ?? (typeof botInfo?.username === 'string' ? `@${botInfo.username}` : `Telegram bot ${botId}`),
        externalId: botId,
        secrets: { token: opts.token, secretToken },
        config: botInfo ? { botInfo } : {},
        apiBaseUrl: opts.apiRoot ?? null,
      });
      const extra: string[] = [];
      if (opts.setWebhook) {
        if (!process.env.PUBLIC_URL) throw new ConfigError('--set-webhook needs PUBLIC_URL (the https address Telegram can reach) set.');
        await api.setWebhook(webhookUrl(cfg, 'telegram', id), { secret_token: secretToken, allowed_updates: ['message', 'callback_query'] });
        extra.push('  Telegram now posts updates to it.');
      } else {
        extra.push('  Point Telegram at it with --set-webhook (PUBLIC_URL set), or develop with `closer channels poll telegram --account ' + id + '`.');
      }
      printAdded(cfg, 'telegram', id, extra);
    });

  secretOptions(
    add
      .command('line')
      .description('Add a LINE official account (Messaging API channel) and print the webhook URL to paste into the LINE console.')
      .requiredOption('--tenant <slug>', 'e.g. demo-clinic'),
    LINE_SECRETS,
  )
    .requiredOption('--channel-id <id>', 'the channel id (digits)')
    .option('--name <name>', 'a name for the account')
    .option('--api-url <url>', 'Messaging API base URL (a test fake)', url)
    .action(async (flags: { tenant: string; channelId: string; name?: string; apiUrl?: string }) => {
      const secrets = await readSecrets(flags, LINE_SECRETS);
      for (const spec of LINE_SECRETS) if (!secrets[spec.flag]) throw new ConfigError(`${spec.what[0]!.toUpperCase()}${spec.what.slice(1)} is required: ${secretSources(spec)}.`);
      const opts = { ...flags, channelSecret: secrets['channel-secret']!, accessToken: secrets['access-token']! };
      const cfg = loadConfig();
      if (!/^\d{6,20}$/.test(opts.channelId)) throw new ConfigError('--channel-id is the digits shown as "Channel ID" in the LINE Developers console.');
      if (!/^[0-9a-f]{32}$/i.test(opts.channelSecret) && !opts.apiUrl) throw new ConfigError('--channel-secret is the 32-character hex "Channel secret" from the LINE Developers console.');
      if (opts.accessToken.length < 20) throw new ConfigError('--access-token looks too short for a LINE channel access token.');
      const id = await addAccount(cfg, opts.tenant, {
        channel: 'line',
        name: opts.name ?? `LINE ${opts.channelId}`,
        externalId: opts.channelId,
        secrets: { channelSecret: opts.channelSecret, accessToken: opts.accessToken },
        apiBaseUrl: opts.apiUrl ?? null,
      });
      printAdded(cfg, 'line', id, ['  Paste it into LINE Developers → Messaging API → Webhook URL, and turn "Use webhook" on.']);
    });

  secretOptions(
    add
      .command('msteams')
      .description('Add a Microsoft Teams / Web Chat bot (an Azure Bot resource, Activity protocol): checks the credentials with Entra ID (unless --offline) and prints the messaging endpoint URL.')
      .requiredOption('--tenant <slug>', 'e.g. demo-realty')
      .option('--app-id <id>', "the Azure Bot's Microsoft App ID (a GUID)"),
    MSTEAMS_SECRETS,
  )
    .option('--app-tenant-id <id>', "the app's Entra directory (tenant) id, for a single-tenant bot")
    .option('--name <name>', 'a name for the account')
    .option('--api-url <url>', 'one more place replies may be posted besides the Microsoft connectors: a proxy, the Bot Framework Emulator, a test fake', url)
    .option('--auth-url <url>', 'Entra authority (default https://login.microsoftonline.com; https://login.microsoftonline.us for US Government; a test fake)', url)
    .option('--anonymous', 'no credentials: requests are not authenticated and replies go only to --api-url. Local testing only: needs MSTEAMS_ALLOW_ANONYMOUS=on, refused when NODE_ENV=production')
    .option('--offline', 'do not ask Entra ID for a token to check the credentials')
    .option(
      '--direct-line-enhanced-auth',
      "also accept Web Chat / Direct Line conversations: only once Enhanced authentication is on for the bot's Direct Line site (Azure portal) and your token server issues user ids \"dl_…\"; without it their senders are ignored, since a Direct Line client picks its own user id",
    )
    .action(
      async (flags: { tenant: string; appId?: string; appTenantId?: string; name?: string; apiUrl?: string; authUrl?: string; anonymous?: boolean; offline?: boolean; directLineEnhancedAuth?: boolean }) => {
        const opts = { ...flags, appPassword: (await readSecrets(flags, MSTEAMS_SECRETS))['app-password'] };
        const cfg = loadConfig();
        const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
        if (opts.anonymous) {
          if (cfg.env === 'production') throw new ConfigError('--anonymous is refused when NODE_ENV=production: anybody could write to the bot as anybody. Use --app-id and --app-password from the Azure Bot resource.');
          if (opts.appId || opts.appPassword) throw new ConfigError('--anonymous takes no --app-id or --app-password; leave it out to use them.');
          if (!opts.apiUrl) throw new ConfigError('--anonymous needs --api-url (the Bot Framework Emulator or fake connector replies go to): an anonymous account posts nowhere else.');
          if (!cfg.msteamsAllowAnonymous) throw new ConfigError('--anonymous needs MSTEAMS_ALLOW_ANONYMOUS=on (local development only): anybody could write to the bot as anybody. Use --app-id and --app-password from the Azure Bot resource.');
        } else {
          if (!opts.appId || !guid.test(opts.appId)) throw new ConfigError('--app-id is the "Microsoft App ID" (a GUID) on the Azure Bot resource\'s Configuration page; or pass --anonymous for local testing.');
          if (!opts.appPassword) throw new ConfigError(`The app password is required: the client secret value of the bot's app registration (Certificates & secrets), given with ${secretSources(MSTEAMS_SECRETS[0]!)}.`);
          if (opts.appTenantId && !guid.test(opts.appTenantId) && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(opts.appTenantId)) throw new ConfigError('--app-tenant-id is the Entra directory (tenant) id, a GUID.');
        }
        const config = { ...(opts.appId ? { appId: opts.appId } : {}), ...(opts.appTenantId ? { appTenantId: opts.appTenantId } : {}), ...(opts.authUrl ? { authUrl: opts.authUrl } : {}), anonymous: Boolean(opts.anonymous), directLineEnhancedAuth: Boolean(opts.directLineEnhancedAuth) };
        if (!opts.anonymous && !opts.offline) {
          const [{ BotTokenClient }, { teamsSettings }] = await Promise.all([import('../bots/msteams/auth.ts'), import('../bots/msteams/account.ts')]);
          const settings = teamsSettings({ id: 'new', tenantId: '', channel: 'msteams', name: '', externalId: opts.appId!, config, secrets: { appPassword: opts.appPassword! }, apiBaseUrl: opts.apiUrl ?? null, status: 'active' });
          try {
            await new BotTokenClient().token(settings);
          } catch (err) {
            throw new ConfigError(`${(err as Error).message} Or pass --offline to store the credentials unchecked.`);
          }
        }
        const id = await addAccount(cfg, opts.tenant, {
          channel: 'msteams',
          name: opts.name ?? (opts.anonymous ? 'Teams bot (anonymous)' : `Teams bot ${opts.appId}`),
          externalId: opts.anonymous ? `anonymous:${opts.tenant}:${opts.apiUrl}` : opts.appId!,
          secrets: opts.appPassword ? { appPassword: opts.appPassword } : {},
          config,
          apiBaseUrl: opts.apiUrl ?? null,
        });
        printAdded(
          cfg,
          'msteams',
          id,
          opts.anonymous
            ? [
                '  ANONYMOUS mode: requests are NOT authenticated; for local testing only (refused when NODE_ENV=production).',
                `  Replies go only to ${opts.apiUrl}. In the Bot Framework Emulator, open the webhook URL with no App ID or password.`,
              ]
            : ['  Paste it into the Azure portal → your Azure Bot → Configuration → Messaging endpoint (it must be https: set PUBLIC_URL), then add the Teams channel.'],
        );
      },
    );

  channels
    .command('list')
    .description('List channel accounts with their webhook URLs (never their secrets).')
    .option('--tenant <slug>', 'only this tenant')
    .option('--json', 'print JSON')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const cfg = loadConfig();
      const rows = await withCliDatabase(cfg, createLogger('warn'), (db) => listAccounts(db, opts.tenant));
      const out = rows.map((r) => ({ ...r, webhook_url: webhookUrl(cfg, r.channel, r.id) }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      if (!out.length) {
        process.stdout.write('No channel accounts. Add one with `closer channels add telegram|line|msteams --tenant <slug> …`.\n');
        return;
      }
      for (const r of out) {
        process.stdout.write(`${r.id}  ${r.tenant}  ${r.channel}  ${r.name}  (${r.status}${r.has_secrets ? '' : ', no secrets'}${r.note ? `; ${r.note}` : ''})\n  ${r.webhook_url}\n`);
      }
    });

  channels
    .command('disable <id>')
    .description('Disable a channel account: its webhook answers 404 and nothing more is sent through it.')
    .action(async (id: string) => {
      const cfg = loadConfig();
      const { withSystem } = await import('../db/tenant.ts');
      const done = await withCliDatabase(cfg, createLogger('warn'), (db) =>
        withSystem(db, async (sql) => (await sql.query<{ channel: string }>(`UPDATE channel_accounts SET status = 'disabled' WHERE id::text = $1 RETURNING channel`, [id])).rows[0]),
      );
      if (!done) throw new NotFoundError(`No channel account ${id}. See \`closer channels list\`.`);
      process.stdout.write(`Disabled ${done.channel} account ${id}. A running server stops using it within 30 s.\n`);
    });

  channels
    .command('poll')
    .argument('<channel>', 'telegram (the only platform with long polling)')
    .description('Development: fetch Telegram updates by long polling instead of a webhook (removes the webhook), with the workers in this process.')
    .requiredOption('--account <id>', 'the channel account id (see `closer channels list`)')
    .action(async (channel: string, opts: { account: string }) => {
      if (channel !== 'telegram') throw new InvalidArgumentError('only telegram supports long polling; LINE needs a webhook (use a tunnel such as cloudflared for local work).');
      const cfg = loadConfig();
      const log = createLogger(cfg.logLevel);
      const [{ startApp }, { AccountDirectory }, { pollTelegram }] = await Promise.all([import('../app.ts'), import('../bots/accounts.ts'), import('../bots/telegram/polling.ts')]);
      const app = await startApp({ config: cfg, log, http: false, workers: true, seed: false });
      const account = await new AccountDirectory(app.db, app.secrets).require(opts.account);
      if (account.channel !== 'telegram' || account.status !== 'active') {
        await app.stop();
        throw new ConfigError(`Account ${opts.account} is not an active Telegram account.`);
      }
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.stdout.write(`Polling Telegram for ${account.name}; Ctrl+C to stop.\n`);
      try {
        await pollTelegram(app.channelContext, account, controller.signal);
      } finally {
        await app.stop();
      }
    });
}
