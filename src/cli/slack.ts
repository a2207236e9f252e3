import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { ConfigError, NotFoundError } from '../errors.ts';
import type { Sql } from '../db/database.ts';
import { withCliDatabase } from './database.ts';
import { readSecrets, secretOptions, secretSources, type SecretSpec } from './secret-input.ts';
import { SLACK_OAUTH_VARIABLES } from '../config.ts';
import { INSTALL_LINK_DEFAULT_MINUTES, INSTALL_LINK_MAX_MINUTES } from '../bots/slack/install-link.ts';

function minutes(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > INSTALL_LINK_MAX_MINUTES) throw new InvalidArgumentError(`must be a whole number of minutes from 1 to ${INSTALL_LINK_MAX_MINUTES}`);
  return n;
}

/** The secrets `closer slack add` takes, in the order `-stdin` lines are read. */
const SLACK_SECRETS: SecretSpec[] = [
  { flag: 'bot-token', env: 'CLOSER_SLACK_BOT_TOKEN', what: 'the bot token (xoxb-…)', placeholder: 'xoxb' },
  { flag: 'signing-secret', env: 'CLOSER_SLACK_SIGNING_SECRET', what: "the app's signing secret (Basic Information page); required unless --socket-mode", placeholder: 's' },
  { flag: 'app-token', env: 'CLOSER_SLACK_APP_TOKEN', what: 'an app-level token (xapp-…, scope connections:write), for Socket Mode', placeholder: 'xapp' },
];
const APP_TOKEN: SecretSpec[] = [{ ...SLACK_SECRETS[2]!, what: 'an app-level token (xapp-…, scope connections:write); kept from before when omitted' }];

interface AddFlags {
  tenant: string;
  teamId: string;
  socketMode?: boolean;
  name?: string;
  apiUrl?: string;
  botUserId?: string;
  handoffChannel?: string;
}

function url(v: string): string {
  try {
    return new URL(v).toString();
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://127.0.0.1:8082/api/');
  }
}

async function openBox(cfg: Config) {
  const { SecretBox, resolveSecretKey } = await import('../core/secrets.ts');
  return new SecretBox(resolveSecretKey({ keyHex: cfg.secretKeyHex, home: cfg.home, embedded: !cfg.databaseUrl }));
}

interface AddOptions extends AddFlags {
  botToken: string;
  signingSecret?: string;
  appToken?: string;
}

async function addSlack(flags: AddFlags): Promise<void> {
  const secretsIn = await readSecrets(flags as unknown as Record<string, unknown>, SLACK_SECRETS);
  if (!secretsIn['bot-token']) throw new ConfigError(`The bot token (xoxb-…) is required: ${secretSources(SLACK_SECRETS[0]!)}.`);
  const opts: AddOptions = { ...flags, botToken: secretsIn['bot-token'], signingSecret: secretsIn['signing-secret'], appToken: secretsIn['app-token'] };
  const cfg = loadConfig();
  if (!/^xoxb-/.test(opts.botToken)) throw new ConfigError('--bot-token is the "Bot User OAuth Token" (xoxb-…) from your Slack app\'s OAuth & Permissions page.');
  if (!/^[TE][A-Z0-9]{2,}$/.test(opts.teamId)) throw new ConfigError('--team-id is the workspace id (T…), shown in the workspace URL or by auth.test.');
  if (opts.appToken !== undefined && !/^xapp-/.test(opts.appToken)) throw new ConfigError('--app-token is an app-level token (xapp-…): Basic Information → App-Level Tokens, with the connections:write scope.');
  if (opts.socketMode && !opts.appToken) throw new ConfigError('--socket-mode needs --app-token xapp-… (Basic Information → App-Level Tokens, scope connections:write), and Socket Mode turned on in the app settings.');
  if (!opts.signingSecret && !opts.socketMode) throw new ConfigError('--signing-secret is required (Basic Information → Signing Secret) unless the workspace uses --socket-mode.');
  const [{ withTenant, withSystem }, { getTenantBySlug }, { upsertAccount }] = await Promise.all([import('../db/tenant.ts'), import('../core/tenants.ts'), import('../bots/accounts.ts')]);
  const box = await openBox(cfg);
  const config: Record<string, unknown> = {};
  if (opts.botUserId) config.bot_user_id = opts.botUserId;
  if (opts.handoffChannel) config.handoff_channel = opts.handoffChannel;
  if (opts.socketMode) config.socket_mode = true;
  const secrets: Record<string, string> = { bot_token: opts.botToken };
  if (opts.signingSecret) secrets.signing_secret = opts.signingSecret;
  if (opts.appToken) secrets.app_token = opts.appToken;
  const id = await withCliDatabase(cfg, createLogger('warn'), async (db) => {
    const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, opts.tenant));
    return withTenant(db, tenant.id, (sql) =>
      upsertAccount(sql, tenant.id, box, {
        channel: 'slack',
        name: opts.name ?? `Slack ${opts.teamId}`,
        externalId: opts.teamId,
        config,
        secrets,
        apiBaseUrl: opts.apiUrl ?? null,
      }),
    );
  });
  const base = (process.env.PUBLIC_URL ?? `http://localhost:${cfg.port}`).replace(/\/$/, '');
  const transport = opts.socketMode
    ? [
        '  Socket Mode (development): a running `closer start` connects with the app-level token within 30 s; Slack needs no public URL.',
        '  Turn Socket Mode on in the app settings, and subscribe to the events below and the /closer command there.',
      ]
    : [`  Request URL (Event Subscriptions, Interactivity and the /closer slash command): ${base}/webhooks/slack/${id}`];
  process.stdout.write(
    [
      `Added slack account ${id} for team ${opts.teamId} (active; secrets encrypted at rest).`,
      ...transport,
      `  Events to subscribe: message.im, app_mention, app_home_opened${opts.handoffChannel ? ', message.channels (handoff threads)' : ''}.`,
      `  Map staff with: closer slack map --tenant ${opts.tenant} --slack-user U… --email rep@…`,
      '',
    ].join('\n'),
  );
}

/** The tenant's one active Slack workspace, or the one --team-id names. Runs inside withTenant. */
async function oneWorkspace(sql: Sql, tenantSlug: string, teamId: string | undefined): Promise<{ id: string; external_id: string; secrets_enc: string | null }> {
  const accounts = (await sql.query<{ id: string; external_id: string; secrets_enc: string | null }>(`SELECT id, external_id, secrets_enc FROM channel_accounts WHERE channel = 'slack' AND status = 'active' AND ($1::text IS NULL OR external_id = $1)`, [teamId ?? null])).rows;
  if (accounts.length === 0) throw new NotFoundError(`${tenantSlug} has no active Slack workspace${teamId ? ` ${teamId}` : ''}; add one with \`closer slack add\` or \`closer slack install-link\`.`);
  if (accounts.length > 1) throw new ConfigError(`${tenantSlug} has several Slack workspaces; say which with --team-id (${accounts.map((a) => a.external_id).join(', ')}).`);
  return accounts[0]!;
}

function addCommand(cmd: Command): Command {
  return secretOptions(cmd.description('Add (or replace) a tenant\'s Slack workspace: bot token, signing secret, team id.').requiredOption('--tenant <slug>', 'e.g. demo-clinic'), SLACK_SECRETS)
    .requiredOption('--team-id <T…>', 'the workspace id; events are routed to the tenant by it')
    .option('--name <name>', 'a name for the account')
    .option('--bot-user-id <U…>', 'the bot\'s user id, so "@closer" is dropped from mentions')
    .option('--handoff-channel <C…>', 'the channel where human-handoff threads open (or set tenant setting handoff_slack_channel)')
    .option('--api-url <url>', 'Web API base URL (a test fake)', url)
    .option('--socket-mode', 'development: receive events over a WebSocket opened with --app-token instead of the public Request URL')
    .action(addSlack);
}

/**
 * `closer slack add|map` and, when the channels CLI is present,
 * `closer channels add slack` (the same command).
 */
export function registerSlack(program: Command): void {
  const slack = program.command('slack').description('Slack workspaces for staff: add a workspace (or print an OAuth install link), map Slack users to staff.');
  addCommand(slack.command('add'));
  const channelsAdd = program.commands.find((c) => c.name() === 'channels')?.commands.find((c) => c.name() === 'add');
  if (channelsAdd) addCommand(channelsAdd.command('slack'));

  slack
    .command('install-link')
    .description('Print a signed, single-use link that installs the Slack app into a workspace for this tenant (OAuth; needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET, SLACK_STATE_SECRET).')
    .requiredOption('--tenant <slug>', 'e.g. demo-clinic')
    .option('--valid-for <minutes>', 'how long the link works', minutes, INSTALL_LINK_DEFAULT_MINUTES)
    .action(async (opts: { tenant: string; validFor: number }) => {
      const cfg = loadConfig();
      if (!cfg.slackOAuth) throw new ConfigError(`The Slack install flow is not configured: set ${SLACK_OAUTH_VARIABLES.join(', ')} (the same values as the server), or add a workspace with \`closer slack add\`.`);
      const { installLinkUrl } = await import('../bots/slack/install-link.ts');
      const base = process.env.PUBLIC_URL ?? `http://localhost:${cfg.port}`;
      const link = installLinkUrl(base, cfg.slackOAuth.stateSecret, opts.tenant, { minutes: opts.validFor });
      process.stdout.write(
        [
          link,
          `  Open it (or send it to the Slack workspace's admin) within ${opts.validFor} minutes to install Closer for ${opts.tenant}. It works once: make a new one for another workspace.`,
          `  The app's Redirect URL (OAuth & Permissions) must be ${base.replace(/\/$/, '')}/slack/oauth_redirect.`,
          '',
        ].join('\n'),
      );
    });

  secretOptions(
    slack
      .command('socket-mode')
      .description('Development: receive a workspace\'s events over Socket Mode (a WebSocket opened with an app-level token) instead of the public Request URL; --off goes back to HTTP.')
      .requiredOption('--tenant <slug>', 'e.g. demo-clinic')
      .option('--team-id <T…>', 'the workspace (default: the tenant\'s only Slack workspace)'),
    APP_TOKEN,
  )
    .option('--off', 'stop using Socket Mode for this workspace (the app token is kept)')
    .action(async (flags: { tenant: string; teamId?: string; off?: boolean }) => {
      const opts = { ...flags, appToken: (await readSecrets(flags, APP_TOKEN))['app-token'] };
      if (opts.appToken !== undefined && !/^xapp-/.test(opts.appToken)) throw new ConfigError('--app-token is an app-level token (xapp-…): Basic Information → App-Level Tokens, with the connections:write scope.');
      const cfg = loadConfig();
      const box = await openBox(cfg);
      const [{ withTenant, withSystem }, { getTenantBySlug }] = await Promise.all([import('../db/tenant.ts'), import('../core/tenants.ts')]);
      const account = await withCliDatabase(cfg, createLogger('warn'), async (db) => {
        const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, opts.tenant));
        return withTenant(db, tenant.id, async (sql) => {
          const a = await oneWorkspace(sql, opts.tenant, opts.teamId);
          const { accountBinding, setAccountSecrets } = await import('../bots/accounts.ts');
          const secrets = a.secrets_enc ? box.open(a.secrets_enc, accountBinding(a.id, 'slack')) : {};
          if (opts.appToken) secrets.app_token = opts.appToken;
          if (!opts.off && !secrets.app_token) throw new ConfigError('Socket Mode needs --app-token xapp-… (Basic Information → App-Level Tokens, scope connections:write).');
          await sql.query(`UPDATE channel_accounts SET config = config || $2::jsonb WHERE id = $1`, [a.id, JSON.stringify({ socket_mode: !opts.off })]);
          await setAccountSecrets(sql, box, a.id, 'slack', secrets);
          return a;
        });
      });
      process.stdout.write(
        opts.off
          ? `Slack workspace ${account.external_id} is back on HTTP (${(process.env.PUBLIC_URL ?? `http://localhost:${cfg.port}`).replace(/\/$/, '')}/webhooks/slack/${account.id}); a running server drops its socket within 30 s.\n`
          : `Slack workspace ${account.external_id} now uses Socket Mode (development); a running \`closer start\` connects within 30 s. Turn Socket Mode on in the app settings too.\n`,
      );
    });

  slack
    .command('alerts-channel')
    .description('Post the tenant\'s team alerts (hot leads, anomalies) also to one Slack channel everyone on the team reads; --clear goes back to DMs only. Personal digests and reminders always stay in DMs.')
    .argument('[channel-id]', 'the channel id (C…), from the channel\'s details in Slack; invite the Closer app to the channel')
    .requiredOption('--tenant <slug>', 'e.g. demo-clinic')
    .option('--team-id <T…>', 'the workspace (default: the tenant\'s only Slack workspace)')
    .option('--clear', 'stop posting team alerts to a channel')
    .action(async (channelId: string | undefined, opts: { tenant: string; teamId?: string; clear?: boolean }) => {
      if (opts.clear && channelId) throw new ConfigError('Give a channel id or --clear, not both.');
      if (!opts.clear && !channelId) throw new ConfigError('Give the channel id (C…) to post team alerts to, or --clear to stop.');
      const cfg = loadConfig();
      const [{ withTenant, withSystem }, { getTenantBySlug, setTeamAlertChannel, checkSlackChannelId }] = await Promise.all([import('../db/tenant.ts'), import('../core/tenants.ts')]);
      // Checked before the database is opened, so a typo fails fast; setTeamAlertChannel checks again.
      if (channelId) checkSlackChannelId(channelId);
      const workspace = await withCliDatabase(cfg, createLogger('warn'), async (db) => {
        const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, opts.tenant));
        const account = opts.clear ? undefined : await withTenant(db, tenant.id, (sql) => oneWorkspace(sql, opts.tenant, opts.teamId));
        await withSystem(db, (sql) => setTeamAlertChannel(sql, tenant.id, account ? { account_id: account.id, channel_id: channelId! } : null));
        return account;
      });
      process.stdout.write(
        workspace
          ? `Team alerts for ${opts.tenant} (hot leads, anomalies) now also go to Slack channel ${channelId} in workspace ${workspace.external_id}. Invite the Closer app to that channel. Digests and reminders stay in DMs. A running server picks this up within 30 s.\n`
          : `Team alerts for ${opts.tenant} go to people's DMs only now.\n`,
      );
    });

  slack
    .command('map')
    .description('Let a Slack user talk to Closer as a staff member (unmapped users are told to ask an admin).')
    .requiredOption('--tenant <slug>', 'e.g. demo-clinic')
    .requiredOption('--slack-user <U…>', 'the Slack user id')
    .requiredOption('--email <email>', 'the staff member\'s email')
    .option('--team-id <T…>', 'the workspace (default: the tenant\'s only Slack workspace)')
    .action(async (opts: { tenant: string; slackUser: string; email: string; teamId?: string }) => {
      const cfg = loadConfig();
      const [{ withTenant, withSystem }, { getTenantBySlug }, { mapSlackUser }] = await Promise.all([import('../db/tenant.ts'), import('../core/tenants.ts'), import('../bots/slack/staff.ts')]);
      const name = await withCliDatabase(cfg, createLogger('warn'), async (db) => {
        const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, opts.tenant));
        return withTenant(db, tenant.id, async (sql) => {
          const account = await oneWorkspace(sql, opts.tenant, opts.teamId);
          return mapSlackUser(sql, tenant.id, account.id, opts.slackUser, opts.email);
        });
      });
      process.stdout.write(`Slack user ${opts.slackUser} now talks to Closer as ${name}.\n`);
    });
}
