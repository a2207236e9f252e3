import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, Hono } from 'hono';
import { AuthorizationError, InstallProvider, InvalidStateError, MissingCodeError, MissingStateError, type CodedError, type Installation, type InstallationQuery, type InstallationStore, type InstallURLOptions, type StateStore } from '@slack/oauth';
import { z } from 'zod';
import { SLACK_OAUTH_VARIABLES, type SlackOAuthConfig } from '../../config.ts';
import type { Database } from '../../db/database.ts';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { getTenantById, getTenantBySlug } from '../../core/tenants.ts';
import type { SecretBox } from '../../core/secrets.ts';
import { InstallRefusedError, NotFoundError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { accountBinding, upsertAccount, type AccountDirectory } from '../accounts.ts';
import type { ChannelContext } from '../types.ts';
import { linkHash, verifyInstallLink } from './install-link.ts';
import { slackLogger } from './logger.ts';

/** The bot scopes Closer asks for: DMs, mentions, the /closer command, handoff threads. */
export const SLACK_BOT_SCOPES = ['chat:write', 'im:history', 'app_mentions:read', 'channels:history', 'commands'] as const;

/** How long the state handed to Slack stays usable: the installer only has to click "Allow". */
const STATE_TTL_S = 600;

/** What an install carries from the install link to the redirect, inside the server-side state. */
const MetadataSchema = z.object({ tenantId: z.uuid(), tenantSlug: z.string(), linkId: z.string().min(1).max(64) });
type Metadata = z.infer<typeof MetadataSchema>;

function parseMetadata(raw: string | undefined): Metadata {
  try {
    return MetadataSchema.parse(JSON.parse(raw ?? ''));
  } catch {
    throw new InstallRefusedError('This install did not start from a Closer install link. Ask your Closer admin for one (closer slack install-link --tenant <slug>).');
  }
}

/** The polite refusal of a link that already installed a workspace (shown when it is opened or finished again). */
function linkUsed(usedAt: Date | undefined): InstallRefusedError {
  const when = usedAt ? ` on ${usedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
  return new InstallRefusedError(
    // Which workspace it connected is not said: whoever holds the link now may not be allowed to know.
    `This install link was already used${when}. Each link works once, so a forwarded or leaked link cannot connect another workspace. Ask your Closer admin for a new one (closer slack install-link --tenant <slug>).`,
  );
}

/** Whether an install link already completed an install; the tenant's own row only. */
async function usedLink(db: Database, tenantId: string, linkId: string): Promise<{ team_id: string; used_at: Date } | undefined> {
  return withTenant(db, tenantId, async (sql) => (await sql.query<{ team_id: string; used_at: Date }>('SELECT team_id, used_at FROM slack_install_links WHERE link_hash = $1', [linkHash(linkId)])).rows[0]);
}

function stateMac(secret: string, random: string): string {
  return crypto.createHmac('sha256', secret).update(`closer-slack-oauth-state\n${random}`).digest('base64url');
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/**
 * OAuth states in Postgres: signed (a forged one is refused without a
 * database read), single-use (consumed by a DELETE), expiring, and bound to
 * the tenant of the install link: the callback learns the tenant from this
 * row, never from anything the browser sends.
 */
export class PgStateStore implements StateStore {
  constructor(
    private readonly db: Database,
    private readonly secret: string,
  ) {}

  async generateStateParam(installOptions: InstallURLOptions, now: Date): Promise<string> {
    const meta = parseMetadata(installOptions.metadata);
    const random = crypto.randomBytes(24).toString('base64url');
    const state = `${random}.${stateMac(this.secret, random)}`;
    await withTenant(this.db, meta.tenantId, async (sql) => {
      await sql.query('DELETE FROM slack_oauth_states WHERE expires_at < $1', [now]);
      await sql.query('INSERT INTO slack_oauth_states (state_hash, tenant_id, install_options, expires_at) VALUES ($1, $2, $3, $4)', [
        sha256(state),
        meta.tenantId,
        JSON.stringify(installOptions),
        new Date(now.getTime() + STATE_TTL_S * 1000),
      ]);
    });
    return state;
  }

  async verifyStateParam(now: Date, state: string): Promise<InstallURLOptions> {
    const [random, mac, extra] = state.split('.');
    const expected = random ? Buffer.from(stateMac(this.secret, random)) : Buffer.alloc(0);
    if (!random || !mac || extra !== undefined || expected.length !== Buffer.byteLength(mac) || !crypto.timingSafeEqual(expected, Buffer.from(mac))) {
      throw new InvalidStateError('The state parameter was not issued by this server.');
    }
    // Routing the redirect to its tenant is cross-tenant by nature, like a webhook naming its team.
    const row = await withSystem(this.db, async (sql) =>
      (await sql.query<{ tenant_id: string; install_options: InstallURLOptions; expires_at: Date }>('DELETE FROM slack_oauth_states WHERE state_hash = $1 RETURNING tenant_id, install_options, expires_at', [sha256(state)])).rows[0],
    );
    if (!row) throw new InvalidStateError('The state parameter was already used or is unknown.');
    if (row.expires_at.getTime() < now.getTime()) throw new InvalidStateError('The state parameter has expired.');
    const meta = parseMetadata(row.install_options.metadata);
    if (meta.tenantId !== row.tenant_id) throw new InvalidStateError('The state parameter does not match its tenant.');
    return row.install_options;
  }
}

/** The outcome of an install, for the success page. */
export interface StoredInstall {
  accountId: string;
  tenantId: string;
  tenantSlug: string;
  teamId: string;
  teamName: string;
  installerUserId: string;
  reinstalled: boolean;
}

/**
 * Installations as Slack `channel_accounts` rows of the tenant (bot token
 * and signing secret sealed with the SecretBox), so events route by team_id
 * exactly as for accounts added with `closer slack add`. A re-install of the
 * same workspace updates its row and keeps what the CLI set on it (handoff
 * channel, Socket Mode token); a workspace already bound to another tenant
 * is never moved.
 */
export class PgInstallationStore implements InstallationStore {
  /** The last install stored by each redirect, picked up by the success page. */
  readonly stored = new WeakMap<Installation, StoredInstall>();

  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    private readonly cfg: SlackOAuthConfig,
    private readonly onStored: () => void = () => undefined,
  ) {}

  async storeInstallation(installation: Installation): Promise<void> {
    if (installation.isEnterpriseInstall || !installation.team) {
      throw new InstallRefusedError('Installing Closer for a whole Enterprise Grid organisation is not supported yet. Install it into one workspace of the organisation instead.');
    }
    const bot = installation.bot;
    if (!bot?.token || !bot.userId) throw new InstallRefusedError(`Slack did not grant a bot token. The app needs the bot scopes ${SLACK_BOT_SCOPES.join(', ')}.`);
    if (bot.refreshToken) {
      throw new InstallRefusedError('This Slack app has token rotation turned on, which Closer does not support yet (its tokens would stop working after 12 hours). Turn it off under OAuth & Permissions and install again.');
    }
    const meta = parseMetadata(installation.metadata);
    const teamId = installation.team.id;
    const teamName = installation.team.name ?? teamId;
    // The other tenant's name is not shown: the installer may not be allowed to know it.
    const elsewhere = () => new InstallRefusedError(`The Slack workspace "${teamName}" is already connected to another Closer tenant, so it was not connected here. Ask your Closer operator to remove it there first.`);
    const owner = await withSystem(this.db, async (sql) => (await sql.query<{ tenant_id: string }>(`SELECT tenant_id FROM channel_accounts WHERE channel = 'slack' AND external_id = $1`, [teamId])).rows[0]);
    if (owner && owner.tenant_id !== meta.tenantId) throw elsewhere();
    const result = await withTenant(this.db, meta.tenantId, async (sql) => {
      // The link is spent by the install it completes, in the same transaction: a second install
      // through it (started in another browser before this one finished) waits here and is refused.
      const spent = await sql.query('INSERT INTO slack_install_links (link_hash, tenant_id, team_id) VALUES ($1, $2, $3) ON CONFLICT (link_hash) DO NOTHING', [linkHash(meta.linkId), meta.tenantId, teamId]);
      if (spent.rowCount === 0) throw linkUsed(undefined);
      const existing = (await sql.query<{ id: string; config: Record<string, unknown>; secrets_enc: string | null }>(`SELECT id, config, secrets_enc FROM channel_accounts WHERE channel = 'slack' AND external_id = $1`, [teamId])).rows[0];
      const secrets = { ...(existing?.secrets_enc ? this.box.open(existing.secrets_enc, accountBinding(existing.id, 'slack')) : {}), bot_token: bot.token, signing_secret: this.cfg.signingSecret };
      const config = {
        ...(existing?.config ?? {}),
        bot_user_id: bot.userId,
        bot_id: bot.id,
        team_name: teamName,
        app_id: installation.appId ?? null,
        scopes: bot.scopes,
        installed_via: 'oauth',
        installed_by: installation.user.id,
        installed_at: new Date().toISOString(),
      };
      let accountId: string;
      try {
        accountId = await upsertAccount(sql, meta.tenantId, this.box, { channel: 'slack', name: `Slack ${teamName}`.slice(0, 120), externalId: teamId, config, secrets, apiBaseUrl: this.cfg.apiUrl ?? null });
      } catch (err) {
        // Another tenant's install of the same workspace won the race since the check above: the unique key refuses this one.
        if (err instanceof NotFoundError) throw elsewhere();
        throw err;
      }
      await sql.query(`INSERT INTO audit_log (tenant_id, actor_type, action, args, result_summary) VALUES ($1, 'system', $2, $3, $4)`, [
        meta.tenantId,
        existing ? 'slack_reinstalled' : 'slack_installed',
        JSON.stringify({ team_id: teamId, installed_by: installation.user.id }),
        `Slack workspace ${teamName} (${teamId}) installed through OAuth`,
      ]);
      return { accountId, reinstalled: Boolean(existing) };
    });
    this.stored.set(installation, { ...result, tenantId: meta.tenantId, tenantSlug: meta.tenantSlug, teamId, teamName, installerUserId: installation.user.id });
    this.onStored();
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    if (!query.teamId) throw new NotFoundError('Enterprise Grid org installs are not supported yet.');
    const row = await withSystem(this.db, async (sql) =>
      (await sql.query<{ id: string; config: Record<string, unknown>; secrets_enc: string | null }>(`SELECT id, config, secrets_enc FROM channel_accounts WHERE channel = 'slack' AND external_id = $1 AND status = 'active'`, [query.teamId])).rows[0],
    );
    const secrets = row?.secrets_enc ? this.box.open(row.secrets_enc, accountBinding(row.id, 'slack')) : {};
    if (!row || !secrets.bot_token) throw new NotFoundError(`No Slack workspace ${query.teamId} is installed.`);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const scopes = Array.isArray(row.config.scopes) ? row.config.scopes.filter((s): s is string => typeof s === 'string') : [];
    return {
      team: { id: query.teamId, ...(str(row.config.team_name) ? { name: str(row.config.team_name)! } : {}) },
      enterprise: undefined,
      user: { token: undefined, scopes: undefined, id: str(row.config.installed_by) ?? '' },
      bot: { token: secrets.bot_token, scopes, id: str(row.config.bot_id) ?? '', userId: str(row.config.bot_user_id) ?? '' },
      authVersion: 'v2',
      isEnterpriseInstall: false,
    };
  }
}

const escapeHtml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

/** A small self-contained page; every piece of text is escaped (team names and error messages come from outside). */
export function renderPage(title: string, paragraphs: string[], code?: string): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const pre = code ? `<pre>${escapeHtml(code)}</pre>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}pre{background:#f4f4f4;padding:.75rem;overflow-x:auto}</style></head><body><h1>${escapeHtml(title)}</h1>\n${body}\n${pre}</body></html>`;
}

const PAGE_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'referrer-policy': 'no-referrer' };

function sendPage(res: ServerResponse, status: number, title: string, paragraphs: string[], code?: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, PAGE_HEADERS);
  res.end(renderPage(title, paragraphs, code));
}

function nodeBindings(c: Context): { req: IncomingMessage; res: ServerResponse } {
  const env = c.env as Partial<HttpBindings> | undefined;
  if (!env?.incoming || !env.outgoing) throw new Error('The Slack install routes run on the Node HTTP server (closer start / closer web).');
  return { req: env.incoming, res: env.outgoing };
}

function notConfigured(c: Context): Response {
  return c.html(
    renderPage(
      'Slack install is not set up',
      [
        'This Closer server has no Slack app credentials, so it cannot install Slack into a workspace.',
        `Set ${SLACK_OAUTH_VARIABLES.join(', ')} (from your Slack app's Basic Information page; the state secret is any random string of 32+ characters) and restart Closer.`,
        'Or add a workspace by hand with its bot token:',
      ],
      'closer slack add --tenant <slug> --bot-token xoxb-… --signing-secret … --team-id T…',
    ),
    503,
    PAGE_HEADERS,
  );
}

function describeFailure(err: CodedError): { status: number; title: string; lines: string[] } {
  if (err instanceof InstallRefusedError) return { status: 409, title: 'Slack was not connected', lines: [err.message] };
  if (err instanceof AuthorizationError) return { status: 400, title: 'Installation cancelled', lines: ['Slack says the installation was cancelled. Open the install link again to retry.'] };
  if (err instanceof InvalidStateError || err instanceof MissingStateError) {
    return { status: 400, title: 'This install cannot be finished', lines: ['The install was already finished, has expired (10 minutes), or was started in another browser. Open the install link again (ask your Closer admin for a new one if it has expired).'] };
  }
  if (err instanceof MissingCodeError) return { status: 400, title: 'This install cannot be finished', lines: ['Slack did not send an authorisation code. Open the install link again.'] };
  return { status: 502, title: 'Slack refused the installation', lines: [`Slack answered: ${err.message}. Open the install link again; if it keeps failing, check SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.`] };
}

function installProvider(ctx: ChannelContext, cfg: SlackOAuthConfig, store: PgInstallationStore, log: Logger): InstallProvider {
  const apiUrl = cfg.apiUrl ? (cfg.apiUrl.endsWith('/') ? cfg.apiUrl : `${cfg.apiUrl}/`) : undefined;
  return new InstallProvider({
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    stateStore: new PgStateStore(ctx.db, cfg.stateSecret),
    installationStore: store,
    authorizationUrl: cfg.authorizeUrl,
    // The install link already is the "Add to Slack" step: go straight to Slack.
    directInstall: true,
    stateCookieExpirationSeconds: STATE_TTL_S,
    logger: slackLogger(log, { component: 'slack-oauth' }),
    clientOptions: { ...(apiUrl ? { slackApiUrl: apiUrl } : {}), retryConfig: { retries: 1 }, timeout: 10_000 },
  });
}

/**
 * `GET /slack/install?tenant&expires&sig` (a link from `closer slack
 * install-link`) redirects to Slack's authorize page with a state bound to
 * that tenant; `GET /slack/oauth_redirect` (the app's Redirect URL) checks
 * the state, exchanges the code with oauth.v2.access and stores the
 * workspace. @slack/oauth also binds the state to the installer's browser
 * with a cookie, so a link forwarded mid-install cannot be finished
 * elsewhere.
 */
export function mountSlackOAuth(http: Hono, ctx: ChannelContext, accounts: AccountDirectory): void {
  const cfg = ctx.config.slackOAuth;
  if (!cfg) {
    http.get('/slack/install', notConfigured);
    http.get('/slack/oauth_redirect', notConfigured);
    return;
  }
  const log = ctx.log.child({ component: 'slack-oauth' });
  const store = new PgInstallationStore(ctx.db, ctx.secrets, cfg, () => accounts.clear());
  const provider = installProvider(ctx, cfg, store, log);

  http.get('/slack/install', async (c) => {
    const { req, res } = nodeBindings(c);
    let tenant;
    let linkId: string;
    try {
      const link = verifyInstallLink(cfg.stateSecret, c.req.query());
      linkId = link.linkId;
      tenant = await withSystem(ctx.db, (sql) => getTenantBySlug(sql, link.tenant));
    } catch (err) {
      const known = err instanceof InstallRefusedError || err instanceof NotFoundError;
      if (!known) throw err;
      log.warn({ reason: err.message }, 'slack install link refused');
      sendPage(res, err instanceof NotFoundError ? 404 : 403, 'This install link does not work', [err instanceof NotFoundError ? 'The tenant this link was made for does not exist on this server.' : err.message]);
      return RESPONSE_ALREADY_SENT;
    }
    const used = await usedLink(ctx.db, tenant.id, linkId);
    if (used) {
      log.warn({ tenant: tenant.slug, team: used.team_id }, 'slack install link used again');
      sendPage(res, 410, 'This install link was already used', [linkUsed(used.used_at).message]);
      return RESPONSE_ALREADY_SENT;
    }
    const metadata: Metadata = { tenantId: tenant.id, tenantSlug: tenant.slug, linkId };
    try {
      await provider.handleInstallPath(req, res, undefined, { scopes: [...SLACK_BOT_SCOPES], metadata: JSON.stringify(metadata) });
    } catch (err) {
      log.error({ err: (err as Error).message }, 'slack install could not start');
      sendPage(res, 500, 'The install could not start', ['Closer could not prepare the Slack install. Try the link again in a minute; the server log says more.']);
    }
    return RESPONSE_ALREADY_SENT;
  });

  http.get('/slack/oauth_redirect', async (c) => {
    const { req, res } = nodeBindings(c);
    await provider.handleCallback(req, res, {
      successAsync: async (installation) => {
        const done = store.stored.get(installation as Installation);
        if (!done) {
          sendPage(res, 500, 'Slack was not connected', ['The installation was not stored. Open the install link again.']);
          return;
        }
        const tenant = await withSystem(ctx.db, (sql) => getTenantById(sql, done.tenantId));
        log.info({ tenant: tenant.slug, team: done.teamId, account: done.accountId, reinstalled: done.reinstalled }, 'slack workspace installed');
        sendPage(
          res,
          200,
          'Slack is connected',
          [
            `Closer is ${done.reinstalled ? 'reconnected' : 'connected'} to the Slack workspace "${done.teamName}" for ${tenant.name}.`,
            'Next, let your team talk to Closer: map each Slack user to their staff account (the person who installed is ' + done.installerUserId + ').',
          ],
          `closer slack map --tenant ${tenant.slug} --slack-user ${done.installerUserId} --email you@example.com`,
        );
      },
      failureAsync: async (err) => {
        const f = describeFailure(err);
        log.warn({ reason: err.message, code: err.code }, 'slack install refused');
        sendPage(res, f.status, f.title, f.lines);
      },
    });
    return RESPONSE_ALREADY_SENT;
  });
}
