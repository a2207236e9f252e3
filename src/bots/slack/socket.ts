import { SocketModeClient } from '@slack/socket-mode';
import { withSystem } from '../../db/tenant.ts';
import type { AccountDirectory, ChannelAccount } from '../accounts.ts';
import type { ChannelContext } from '../types.ts';
import { slackLogger } from './logger.ts';
import { parseSocketEnvelope } from './normalise.ts';
import { handleSlackRequest } from './routes.ts';

/** How often the set of Socket Mode accounts is re-read, so `closer slack add … --socket-mode` takes effect in a running server. */
const REFRESH_MS = 30_000;
/** How long shutdown waits for a connection's close handshake before dropping it. */
const DISCONNECT_TIMEOUT_MS = 5_000;

/** What SocketModeClient emits as `slack_event` for every envelope. */
interface Envelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id: string;
  type: string;
  body: unknown;
  retry_num?: number;
}

interface Connection {
  client: SocketModeClient;
  appToken: string;
  apiUrl: string | null;
  /** Settles when the first connection attempt does; disconnecting before that would race the client's own start. */
  started: Promise<unknown>;
}

export interface SocketModeHandle {
  /** Accounts with an open (or opening) connection, by account id. */
  readonly connected: ReadonlySet<string>;
  /** Re-reads which accounts use Socket Mode, connecting new ones and dropping removed ones. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/** A Slack account is in Socket Mode when it has an app-level token and `config.socket_mode` set (closer slack add … --app-token xapp-… --socket-mode). */
export function usesSocketMode(account: ChannelAccount): boolean {
  return account.channel === 'slack' && account.status === 'active' && account.config.socket_mode === true && Boolean(account.secrets.app_token);
}

/**
 * Socket Mode, for development machines Slack cannot reach: each account in
 * Socket Mode opens a WebSocket with its app-level token (the Web API URL
 * for apps.connections.open is the account's API URL, so a local fake
 * works). The connection is the authentication — Slack only sends a
 * workspace's events down a socket its app token opened — so envelopes skip
 * the signature check and go to the same handler as HTTP after it. An
 * envelope is acknowledged once it is persisted and queued (milliseconds,
 * like the HTTP 200): if that fails it is not acknowledged and Slack
 * redelivers it, with the same event_id, which the inbound path de-duplicates.
 */
export function startSlackSocketMode(ctx: ChannelContext, accounts: AccountDirectory, opts: { refreshMs?: number } = {}): SocketModeHandle {
  const log = ctx.log.child({ component: 'slack-socket-mode' });
  const connections = new Map<string, Connection>();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let refreshing: Promise<void> | undefined;

  async function onEnvelope(accountId: string, env: Envelope): Promise<void> {
    const account = await accounts.byId(accountId);
    if (!account || !usesSocketMode(account)) return; // disabled meanwhile: left unacknowledged, Slack gives up after its retries
    const botUserId = typeof account.config.bot_user_id === 'string' ? account.config.bot_user_id : undefined;
    const req = parseSocketEnvelope(env.type, env.body, { botUserId });
    // A socket belongs to one app, which may be installed in several workspaces: only this account's team is handled here.
    if ('teamId' in req && req.teamId && req.teamId !== account.externalId) {
      log.warn({ account: account.id, team: req.teamId }, 'socket mode envelope for another workspace ignored');
      await env.ack();
      return;
    }
    await handleSlackRequest(ctx, account, req, { transport: 'socket', retry: env.retry_num === undefined ? null : String(env.retry_num) });
    await env.ack();
  }

  function connect(account: ChannelAccount): void {
    const appToken = account.secrets.app_token!;
    const apiUrl = account.apiBaseUrl;
    const client = new SocketModeClient({
      appToken,
      logger: slackLogger(ctx.log, { component: 'slack-socket-mode', account: account.id }),
      clientOptions: { ...(apiUrl ? { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } : {}), retryConfig: { retries: 2 }, timeout: 10_000 },
    });
    client.on('slack_event', (env: Envelope) => {
      const work = onEnvelope(account.id, env)
        .catch((err: unknown) => log.error({ err: (err as Error).message, account: account.id, type: env.type }, 'socket mode envelope failed; Slack will redeliver it'))
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    });
    const started = client.start();
    connections.set(account.id, { client, appToken, apiUrl, started });
    started
      .then(() => log.info({ account: account.id, team: account.externalId }, 'slack socket mode connected'))
      .catch((err: unknown) => {
        const e = err as { data?: { error?: string }; message?: string };
        log.error(
          { account: account.id, err: e.data?.error ?? e.message },
          'slack socket mode could not connect: check the app-level token (xapp-…, scope connections:write, Socket Mode turned on in the app settings)',
        );
        if (connections.get(account.id)?.client === client) connections.delete(account.id);
      });
  }

  async function disconnect(id: string): Promise<void> {
    const c = connections.get(id);
    if (!c) return;
    connections.delete(id);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, DISCONNECT_TIMEOUT_MS)));
    await Promise.race([c.started.catch(() => undefined), deadline]);
    await Promise.race([c.client.disconnect(), deadline]);
    clearTimeout(timer);
  }

  async function reconcile(): Promise<void> {
    const ids = await withSystem(ctx.db, async (sql) =>
      (await sql.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE channel = 'slack' AND status = 'active' AND config->>'socket_mode' = 'true'`)).rows.map((r) => r.id),
    );
    accounts.clear();
    const wanted = new Map<string, ChannelAccount>();
    for (const id of ids) {
      const a = await accounts.byId(id);
      if (a && usesSocketMode(a)) wanted.set(id, a);
    }
    for (const [id, c] of connections) {
      const a = wanted.get(id);
      // Gone, disabled, or its token or API URL changed: reconnect with what is stored now.
      if (!a || a.secrets.app_token !== c.appToken || a.apiBaseUrl !== c.apiUrl) await disconnect(id);
    }
    if (stopped) return;
    for (const [id, a] of wanted) if (!connections.has(id)) connect(a);
  }

  const refresh = async () => {
    if (stopped) return;
    refreshing ??= reconcile()
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'slack socket mode refresh failed'))
      .finally(() => (refreshing = undefined));
    await refreshing;
  };
  void refresh();
  const timer = setInterval(() => void refresh(), opts.refreshMs ?? REFRESH_MS);
  timer.unref();

  return {
    get connected() {
      return new Set(connections.keys());
    },
    refresh,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await refreshing;
      await Promise.all([...connections.keys()].map(disconnect));
      // Envelopes being handled finish before the database and queues close.
      await Promise.all([...inFlight]);
    },
  };
}
