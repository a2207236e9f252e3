import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import type { ButtonPayload } from '../../src/core/messages/types.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';

export interface ReceivedMessage {
  text: string;
  buttons: string[];
  at: number;
}

/**
 * What the contract needs from one chat platform: its fake server, an
 * active account pointing at it, and inbound requests built and signed
 * exactly as the platform builds and signs them.
 */
export interface ChannelHarness {
  readonly channel: string;
  /** The demo tenant the harness's account belongs to. */
  readonly tenant: string;
  /** Starts the fake platform and creates an active account pointing at it; returns the account id. */
  setup(app: TestApp): Promise<string>;
  teardown(): Promise<void>;
  /** A user (and chat) the platform has never seen. */
  newUser(): string;
  /** The chat id replies to this user go to, where the platform's differs from the user's id (Teams: conversation a:… vs user 29:…). Default: the user id. */
  externalChatId?(user: string): string;
  /** The key the user's identity is stored under (channel_identities.external_id), where it is not their platform id. Default: the user id. */
  identityKey?(user: string): string;
  newEventId(): string;
  /** Posts a text message to our webhook; returns the HTTP status. Reusing an eventId is a redelivery. */
  sendText(user: string, text: string, opts?: { eventId?: string; signature?: 'valid' | 'bad' | 'missing' }): Promise<number>;
  /** Posts a button press carrying `payload` as the platform hands it back. */
  pressButton(user: string, payload: ButtonPayload, opts?: { eventId?: string }): Promise<number>;
  /** What the fake platform accepted for this user, oldest first. */
  received(user: string): ReceivedMessage[];
  /** When the fake last refused a send to this user (429/blocked), if ever. */
  lastRefusalAt(user: string): number | undefined;
  /** The next send to this user gets a 429 with Retry-After / retry_after in seconds. */
  rateLimitNext(user: string, retryAfterSeconds: number): void;
  /** The user blocks the bot: every later send is refused as the platform refuses it. */
  block(user: string): void;
}

/** The shared channel contract: every chat platform must pass these cases. */
export function runChannelContract(makeHarness: () => ChannelHarness): void {
  const h = makeHarness();
  let app: TestApp;
  let accountId: string;
  let tenantId: string;

  const count = (sqlText: string, params: unknown[]) =>
    withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>(sqlText, params)).rows[0]!.n);
  const chat = (user: string) => h.externalChatId?.(user) ?? user;
  const messageRows = () => count('SELECT count(*)::int AS n FROM messages WHERE channel_account_id = $1', [accountId]);
  const identity = (user: string) =>
    withTenant(app.db, tenantId, async (sql) =>
      (
        await sql.query<{ unreachable_at: Date | null; lead_id: string | null; consent: string | null; unreachable: boolean | null }>(
          `SELECT i.unreachable_at, i.lead_id, l.consent, l.unreachable FROM channel_identities i LEFT JOIN leads l ON l.id = i.lead_id
           WHERE i.channel_account_id = $1 AND i.external_id = $2`,
          [accountId, h.identityKey?.(user) ?? user],
        )
      ).rows[0],
    );

  describe(`${h.channel} channel contract`, () => {
    beforeAll(async () => {
      app = await startTestApp({ http: true });
      tenantId = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [h.tenant])).rows[0]!.id;
      accountId = await h.setup(app);
    }, 60_000);
    afterAll(async () => {
      await h.teardown();
      await app?.close();
    });

    it('answers an inbound text at the platform, with the rows in their final states', async () => {
      const user = h.newUser();
      expect(await h.sendText(user, 'help')).toBe(200);
      const [reply] = await waitFor('a reply', () => (h.received(user).length ? h.received(user) : undefined));
      expect(reply!.text.length).toBeGreaterThan(20);
      const sent = await waitFor('the outbound row marked sent', async () =>
        (await count(`SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'out' AND m.status = 'sent'`, [chat(user)])) === 1 || undefined,
      );
      expect(sent).toBe(true);
      expect(await identity(user)).toMatchObject({ unreachable_at: null, unreachable: false });
    });

    it('runs a button press as its action', async () => {
      const user = h.newUser();
      expect(await h.pressButton(user, { action: 'set_consent', args: { consent: 'opted_out' } })).toBe(200);
      await waitFor('a reply to the button', () => (h.received(user).length ? true : undefined));
      const who = await identity(user);
      expect(who?.consent).toBe('opted_out');
      const calls = await withTenant(app.db, tenantId, async (sql) =>
        (await sql.query<{ tool_calls: { name: string }[] }>(`SELECT m.tool_calls FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'in'`, [chat(user)])).rows,
      );
      expect(calls[0]?.tool_calls.map((c) => c.name)).toEqual(['set_consent']);
    });

    it('refuses a bad or missing signature with 401 and stores nothing', async () => {
      const user = h.newUser();
      const before = await messageRows();
      expect(await h.sendText(user, 'help', { signature: 'bad' })).toBe(401);
      expect(await h.sendText(user, 'help', { signature: 'missing' })).toBe(401);
      expect(await messageRows()).toBe(before);
      expect(await identity(user)).toBeUndefined();
    });

    it('answers a platform redelivery (four deliveries of one event) exactly once', async () => {
      const user = h.newUser();
      const eventId = h.newEventId();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await h.sendText(user, 'help', { eventId }));
      expect(statuses).toEqual([200, 200, 200, 200]);
      // A later message of the same chat is answered after the first (chats keep their order): once it is in, any duplicate would be too.
      expect(await h.pressButton(user, { action: 'set_consent', args: { consent: 'opted_out' } })).toBe(200);
      await waitFor('both replies', () => (h.received(user).length >= 2 ? true : undefined));
      await waitFor('every outbound row settled', async () =>
        (await count(`SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'out' AND m.status IN ('pending', 'sending')`, [chat(user)])) === 0 || undefined,
      );
      expect(h.received(user)).toHaveLength(2);
      expect(await count(`SELECT count(*)::int AS n FROM messages WHERE channel_account_id = $1 AND platform_message_id = $2`, [accountId, eventId])).toBe(1);
    });

    it('waits as long as a 429 says and keeps the chat in order', async () => {
      const user = h.newUser();
      h.rateLimitNext(user, 1);
      expect(await h.sendText(user, 'help')).toBe(200);
      const refusedAt = await waitFor('the 429', () => h.lastRefusalAt(user));
      // A second message while the first waits: it must not overtake it.
      expect(await h.pressButton(user, { action: 'set_consent', args: { consent: 'opted_out' } })).toBe(200);
      const got = await waitFor('both replies', () => (h.received(user).length >= 2 ? h.received(user) : undefined));
      expect(got[0]!.at).toBeGreaterThanOrEqual(refusedAt + 1000 - 20);
      expect(got[0]!.text.length).toBeGreaterThan(got[1]!.text.length);
      expect(got[1]!.at).toBeGreaterThanOrEqual(got[0]!.at);
    });

    it('marks a user who blocked the bot unreachable and stops retrying', async () => {
      const user = h.newUser();
      h.block(user);
      expect(await h.sendText(user, 'help')).toBe(200);
      const who = await waitFor('the identity marked unreachable', async () => {
        const r = await identity(user);
        return r?.unreachable_at ? r : undefined;
      });
      expect(who.unreachable).toBe(true);
      const failed = await waitFor('the message failed', async () =>
        (await count(`SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'out' AND m.status = 'failed'`, [chat(user)])) === 1 || undefined,
      );
      expect(failed).toBe(true);
      expect(h.received(user)).toHaveLength(0);
    });
  });
}
