import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Database, Sql } from '../db/database.ts';
import { withSystem } from '../db/tenant.ts';
import { NotFoundError } from '../errors.ts';
import type { SecretBinding, SecretBox } from '../core/secrets.ts';
import { CHANNELS, type Channel } from '../core/messages/types.ts';

/** A channel account with its secrets opened: only adapters ever hold one. */
export interface ChannelAccount {
  id: string;
  tenantId: string;
  channel: Channel;
  name: string;
  externalId: string;
  config: Record<string, unknown>;
  secrets: Record<string, string>;
  apiBaseUrl: string | null;
  status: 'active' | 'disabled';
}

interface Row {
  id: string;
  tenant_id: string;
  channel: Channel;
  name: string;
  external_id: string;
  config: Record<string, unknown>;
  secrets_enc: string | null;
  api_base_url: string | null;
  status: 'active' | 'disabled';
}

const COLUMNS = 'id, tenant_id, channel, name, external_id, config, secrets_enc, api_base_url, status';

/** The row a channel account's sealed secrets are bound to (AES-GCM additional data): its id and channel. */
export function accountBinding(id: string, channel: string): SecretBinding {
  return { table: 'channel_accounts', id, kind: channel };
}

function toAccount(r: Row, box: SecretBox): ChannelAccount {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    channel: r.channel,
    name: r.name,
    externalId: r.external_id,
    config: r.config ?? {},
    secrets: r.secrets_enc ? box.open(r.secrets_enc, accountBinding(r.id, r.channel)) : {},
    apiBaseUrl: r.api_base_url,
    status: r.status,
  };
}

/** Accounts kept decrypted per directory: far more than any deployment has, small enough that a flood of ids cannot grow memory. */
const CACHE_MAX = 1_000;

/**
 * Looks accounts up across tenants (a webhook names its account before we
 * know the tenant), with a short cache: webhooks arrive in bursts and the
 * secrets must be decrypted for each. The cache is a bounded LRU holding
 * only accounts that exist: a miss is never cached, so made-up ids cannot
 * fill it (each costs one indexed query, and the per-IP failed-request limit
 * in src/bots/guard.ts bounds how many a client may try).
 */
export class AccountDirectory {
  private readonly cache: LRUCache<string, ChannelAccount>;

  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    ttlMs = 30_000,
  ) {
    this.cache = new LRUCache<string, ChannelAccount>({ max: CACHE_MAX, ttl: ttlMs });
  }

  private async cached(key: string, load: (sql: Sql) => Promise<Row | undefined>): Promise<ChannelAccount | undefined> {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const row = await withSystem(this.db, load);
    if (!row) return undefined;
    const account = toAccount(row, this.box);
    this.cache.set(key, account);
    return account;
  }

  /** How many accounts are cached (for tests of the bound). */
  get size(): number {
    return this.cache.size;
  }

  /** By our id (webhook URLs carry it: /webhooks/<channel>/<account id>). */
  async byId(id: string): Promise<ChannelAccount | undefined> {
    if (!z.uuid().safeParse(id).success) return undefined;
    return this.cached(`id:${id}`, async (sql) => (await sql.query<Row>(`SELECT ${COLUMNS} FROM channel_accounts WHERE id = $1`, [id])).rows[0]);
  }

  /** By the platform's id (Slack team_id, LINE destination, Telegram bot id). */
  async byExternalId(channel: Channel, externalId: string): Promise<ChannelAccount | undefined> {
    if (externalId.length === 0 || externalId.length > 200) return undefined;
    return this.cached(`ext:${channel}:${externalId}`, async (sql) =>
      (await sql.query<Row>(`SELECT ${COLUMNS} FROM channel_accounts WHERE channel = $1 AND external_id = $2`, [channel, externalId])).rows[0],
    );
  }

  async require(id: string): Promise<ChannelAccount> {
    const account = await this.byId(id);
    if (!account) throw new NotFoundError(`No channel account ${id}.`);
    return account;
  }

  /** Forget cached accounts (after `closer channels add/update`). */
  clear(): void {
    this.cache.clear();
  }
}

export const AddAccountSchema = z.object({
  channel: z.enum(CHANNELS),
  name: z.string().min(1).max(120),
  externalId: z.string().min(1).max(200),
  config: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(z.string(), z.string().min(1)).default({}),
  apiBaseUrl: z.url().nullable().default(null),
});

/**
 * Adds (or replaces, by channel + external id) a tenant's channel account,
 * sealing its secrets. Runs inside withTenant (one transaction): the row is
 * written first because the sealed value is bound to the row's id, which a
 * new row only has once inserted; the secrets are set in the same transaction,
 * so nobody ever sees the row without them.
 */
export async function upsertAccount(sql: Sql, tenantId: string, box: SecretBox, input: z.input<typeof AddAccountSchema>): Promise<string> {
  const a = AddAccountSchema.parse(input);
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO channel_accounts (tenant_id, channel, name, external_id, config, secrets_enc, api_base_url, status)
     VALUES ($1, $2, $3, $4, $5, NULL, $6, 'active')
     ON CONFLICT (channel, external_id) DO UPDATE SET name = EXCLUDED.name, config = EXCLUDED.config,
       secrets_enc = NULL, api_base_url = EXCLUDED.api_base_url, status = 'active'
     WHERE channel_accounts.tenant_id = EXCLUDED.tenant_id
     RETURNING id`,
    [tenantId, a.channel, a.name, a.externalId, JSON.stringify(a.config), a.apiBaseUrl],
  );
  if (!rows[0]) throw new NotFoundError(`A ${a.channel} account with id ${a.externalId} belongs to another tenant.`);
  const id = rows[0].id;
  if (Object.keys(a.secrets).length) await setAccountSecrets(sql, box, id, a.channel, a.secrets);
  return id;
}

/** Replaces an account's secrets, sealed for that row. */
export async function setAccountSecrets(sql: Sql, box: SecretBox, id: string, channel: string, secrets: Record<string, string>): Promise<void> {
  await sql.query(`UPDATE channel_accounts SET secrets_enc = $2 WHERE id = $1`, [id, box.seal(secrets, accountBinding(id, channel))]);
}

/**
 * Seals again, bound to their rows, the secrets stored in the first format
 * (v1, bound to nothing). Runs when the app starts; after it, a v1 value in
 * the table can only have been written there by hand. Returns how many rows
 * were rewritten.
 */
export async function resealLegacySecrets(db: Database, box: SecretBox): Promise<number> {
  return withSystem(db, async (sql) => {
    const { rows } = await sql.query<{ id: string; channel: string; secrets_enc: string }>(`SELECT id, channel, secrets_enc FROM channel_accounts WHERE secrets_enc LIKE 'v1.%' FOR UPDATE`);
    for (const r of rows) {
      const opened = box.openWithFormat(r.secrets_enc, accountBinding(r.id, r.channel));
      await setAccountSecrets(sql, box, r.id, r.channel, opened.secrets);
    }
    return rows.length;
  });
}
