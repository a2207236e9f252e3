import { z } from 'zod';
import type { ChannelAccount } from '../accounts.ts';
import type { ServiceUrlPolicy } from './service-url.ts';

/** The Entra authority of the public cloud; sovereign clouds and test fakes are set per account (--auth-url). */
export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';

/** What `closer channels add msteams` stores in channel_accounts.config (the app password lives in the sealed secrets). */
export const TeamsAccountConfigSchema = z.object({
  appId: z.string().min(1).optional(),
  appTenantId: z.string().min(1).optional(),
  authUrl: z.url().optional(),
  anonymous: z.boolean().default(false),
  /**
   * Direct Line / Web Chat conversations are accepted only when the operator
   * turned on Enhanced Authentication for the bot's Direct Line site (Azure
   * portal → Channels → Direct Line → site → Enhanced authentication), so
   * the user id comes from a token their own server issued (`dl_…`), never
   * from the browser (`--direct-line-enhanced-auth`).
   */
  directLineEnhancedAuth: z.boolean().default(false),
});

export interface TeamsSettings {
  /**
   * credentials: every request must carry a Bot Framework / Entra token for
   * the app id, replies carry a client-credentials token. anonymous: no
   * tokens either way, for the Bot Framework Emulator and local tests only.
   */
  mode: 'credentials' | 'anonymous';
  appId?: string | undefined;
  appPassword?: string | undefined;
  appTenantId?: string | undefined;
  /** Entra authority base (no tenant): token endpoint and signing keys of Entra-issued tokens. */
  authority: string;
  /** The account's --api-url: the one extra place replies may go (a proxy, the Emulator, a test fake). */
  apiUrl: string | null;
  /** Whether Direct Line / Web Chat activities are trusted (Enhanced Authentication is on for the bot's Direct Line sites). */
  directLineEnhancedAuth: boolean;
}

/** An account's Teams settings. No app id (or an explicit --anonymous) means anonymous mode. */
export function teamsSettings(account: ChannelAccount): TeamsSettings {
  const parsed = TeamsAccountConfigSchema.safeParse(account.config);
  // A config this version cannot read is never taken for anonymous mode: such an account authenticates nobody.
  const c = parsed.success ? parsed.data : { anonymous: false, appId: undefined, appTenantId: undefined, authUrl: undefined, directLineEnhancedAuth: false };
  return {
    mode: parsed.success && (c.anonymous || !c.appId) ? 'anonymous' : 'credentials',
    appId: c.appId,
    appPassword: account.secrets.appPassword,
    appTenantId: c.appTenantId,
    authority: (c.authUrl ?? DEFAULT_AUTHORITY).replace(/\/+$/, ''),
    apiUrl: account.apiBaseUrl,
    directLineEnhancedAuth: c.directLineEnhancedAuth,
  };
}

export function serviceUrlPolicy(s: TeamsSettings): ServiceUrlPolicy {
  return { apiUrlOnly: s.mode === 'anonymous', apiUrl: s.apiUrl };
}

export const ANONYMOUS_WARNING =
  'Microsoft Teams account is in ANONYMOUS mode (no app id): webhook requests are NOT authenticated and replies carry no token. For local testing with the Bot Framework Emulator or a fake connector only.';

/**
 * Why an anonymous account may not run here, or undefined. Anybody who finds
 * the webhook URL could write as any user, so it runs only where a developer
 * asked for it explicitly (MSTEAMS_ALLOW_ANONYMOUS=on), never in production:
 * NODE_ENV defaults to development, so it cannot be the switch.
 */
export function anonymousRefusal(s: TeamsSettings, where: { env: string | undefined; allowAnonymous: boolean }): string | undefined {
  if (s.mode !== 'anonymous') return undefined;
  const fix = 'Add it again with `closer channels add msteams --tenant <slug> --app-id <Microsoft App ID> --app-password <client secret>` (from the Azure Bot resource).';
  if (where.env === 'production') return `Microsoft Teams account has no app id (anonymous mode), which is refused when NODE_ENV=production. ${fix}`;
  if (!where.allowAnonymous) return `Microsoft Teams account has no app id (anonymous mode), which is refused unless MSTEAMS_ALLOW_ANONYMOUS=on (local development with the Bot Framework Emulator only). ${fix}`;
  return undefined;
}
