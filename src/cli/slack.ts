import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { ConfigError, NotFoundError } from '../errors.ts';
import { withCliDatabase } from './database.ts';

interface AddOptions {
  tenant: string;
  botToken: string;
  signingSecret: string;
  teamId: string;
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

async function addSlack(opts: AddOptions): Promise<void> {
  const cfg = loadConfig();
  if (!/^xoxb-/.test(opts.botToken)) throw new ConfigError('--bot-token is the "Bot User OAuth Token" (xoxb-…) from your Slack app\'s OAuth & Permissions page.');
  if (!/^[TE][A-Z0-9]{2,}$/.test(opts.teamId)) throw new ConfigError('--team-id is the workspace id (T…), shown in the workspace URL or by auth.test.');
  const [{ withTenant, withSystem }, { getTenantBySlug }, { upsertAccount }] = await Promise.all([import('../db/tenant.ts'), import('../core/tenants.ts'), import('../bots/accounts.ts')]);
  const box = await openBox(cfg);
  const config: Record<string, unknown> = {};
  if (opts.botUserId) config.bot_user_id = opts.botUserId;
  if (opts.handoffChannel) config.handoff_channel = opts.handoffChannel;
  const id = await withCliDatabase(cfg, createLogger('warn'), async (db) => {
    const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, opts.tenant));
    return withTenant(db, tenant.id, (sql) =>
      upsertAccount(sql, tenant.id, box, {
        channel: 'slack',
        name: opts.name ?? `Slack ${opts.teamId}`,
        externalId: opts.teamId,
        config,
        secrets: { bot_token: opts.botToken, signing_secret: opts.signingSecret },
        apiBaseUrl: opts.apiUrl ?? null,
      }),
    );
  });
  const base = (process.env.PUBLIC_URL ?? `http://localhost:${cfg.port}`).replace(/\/$/, '');
  process.stdout.write(
    [
      `Added slack account ${id} for team ${opts.teamId} (active; secrets encrypted at rest).`,
      `  Request URL (Event Subscriptions, Interactivity and the /closer slash command): ${base}/webhooks/slack/events`,
      `  Events to subscribe: message.im, app_mention, app_home_opened${opts.handoffChannel ? ', message.channels (handoff threads)' : ''}.`,
      `  Map staff with: closer slack map --tenant ${opts.tenant} --slack-user U… --email rep@…`,
      '',
    ].join('\n'),
  );
}

function addCommand(cmd: Command): Command {
  return cmd
    .description('Add (or replace) a tenant\'s Slack workspace: bot token, signing secret, team id.')
    .requiredOption('--tenant <slug>', 'e.g. demo-clinic')
    .requiredOption('--bot-token <xoxb>', 'the bot token (xoxb-…)')
    .requiredOption('--signing-secret <s>', 'the app\'s signing secret (Basic Information page)')
    .requiredOption('--team-id <T…>', 'the workspace id; events are routed to the tenant by it')
    .option('--name <name>', 'a name for the account')
    .option('--bot-user-id <U…>', 'the bot\'s user id, so "@closer" is dropped from mentions')
    .option('--handoff-channel <C…>', 'the channel where human-handoff threads open (or set tenant setting handoff_slack_channel)')
    .option('--api-url <url>', 'Web API base URL (a test fake)', url)
    .action(addSlack);
}

/**
 * `closer slack add|map` and, when the channels CLI is present,
 * `closer channels add slack` (the same command).
 */
export function registerSlack(program: Command): void {
  const slack = program.command('slack').description('Slack workspaces for staff: add a workspace, map Slack users to staff.');
  addCommand(slack.command('add'));
  const channelsAdd = program.commands.find((c) => c.name() === 'channels')?.commands.find((c) => c.name() === 'add');
  if (channelsAdd) addCommand(channelsAdd.command('slack'));

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
          const accounts = (await sql.query<{ id: string; external_id: string }>(`SELECT id, external_id FROM channel_accounts WHERE channel = 'slack' AND status = 'active' AND ($1::text IS NULL OR external_id = $1)`, [opts.teamId ?? null])).rows;
          if (accounts.length === 0) throw new NotFoundError(`${opts.tenant} has no active Slack workspace${opts.teamId ? ` ${opts.teamId}` : ''}; add one with \`closer slack add\`.`);
          if (accounts.length > 1) throw new ConfigError(`${opts.tenant} has several Slack workspaces; say which with --team-id (${accounts.map((a) => a.external_id).join(', ')}).`);
          return mapSlackUser(sql, tenant.id, accounts[0]!.id, opts.slackUser, opts.email);
        });
      });
      process.stdout.write(`Slack user ${opts.slackUser} now talks to Closer as ${name}.\n`);
    });
}
