import crypto from 'node:crypto';
import { z } from 'zod';
import { InstallRefusedError } from '../../errors.ts';

/** How long `closer slack install-link` links work unless told otherwise. */
export const INSTALL_LINK_DEFAULT_MINUTES = 60;
/** Longer-lived links are refused: a leaked link lets anyone connect a workspace to the tenant until it expires. */
export const INSTALL_LINK_MAX_MINUTES = 7 * 24 * 60;

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

function mac(secret: string, tenant: string, expires: number, linkId: string): string {
  // Domain-separated from the OAuth state, which is signed with the same secret.
  return crypto.createHmac('sha256', secret).update(`closer-slack-install-link-v2\n${tenant}\n${expires}\n${linkId}`).digest('base64url');
}

/** What a valid install link names: its tenant, and its random id (single use: see `slack_install_links`). */
export interface InstallLink {
  tenant: string;
  linkId: string;
}

/**
 * The query of an install link: the tenant's slug, when it stops working,
 * a random link id, and an HMAC over the three with SLACK_STATE_SECRET. Only
 * someone holding that secret (an operator, through the CLI) can make one, so
 * a stranger cannot start an install into another tenant. The id makes the
 * link single-use: the install it completes records it, and the server
 * refuses it afterwards.
 */
export function signInstallLink(secret: string, tenantSlug: string, opts: { now?: Date; minutes?: number } = {}): URLSearchParams {
  if (!SLUG.test(tenantSlug)) throw new InstallRefusedError(`"${tenantSlug}" is not a tenant slug (lowercase letters, digits and dashes, e.g. demo-clinic).`);
  const minutes = opts.minutes ?? INSTALL_LINK_DEFAULT_MINUTES;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > INSTALL_LINK_MAX_MINUTES) throw new InstallRefusedError(`An install link can be valid for 1 to ${INSTALL_LINK_MAX_MINUTES} minutes.`);
  const expires = Math.floor((opts.now ?? new Date()).getTime() / 1000) + minutes * 60;
  const linkId = crypto.randomBytes(16).toString('base64url');
  return new URLSearchParams({ tenant: tenantSlug, expires: String(expires), link: linkId, sig: mac(secret, tenantSlug, expires, linkId) });
}

/** The full URL an admin opens (or sends to the workspace's admin) to install the app. */
export function installLinkUrl(publicBase: string, secret: string, tenantSlug: string, opts: { now?: Date; minutes?: number } = {}): string {
  return `${publicBase.replace(/\/$/, '')}/slack/install?${signInstallLink(secret, tenantSlug, opts).toString()}`;
}

const QuerySchema = z.object({
  tenant: z.string().regex(SLUG),
  expires: z.string().regex(/^\d{1,12}$/).transform(Number),
  link: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

/** Checks an install link's query (signature and expiry; whether it was used is the database's to say); returns what it names. */
export function verifyInstallLink(secret: string, query: Record<string, string | undefined>, now = new Date()): InstallLink {
  const q = QuerySchema.safeParse(query);
  if (!q.success) throw new InstallRefusedError('This install link is incomplete. Ask your Closer admin for a new one (closer slack install-link --tenant <slug>).');
  const expected = Buffer.from(mac(secret, q.data.tenant, q.data.expires, q.data.link));
  const given = Buffer.from(q.data.sig);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
    throw new InstallRefusedError('This install link is not valid (it was changed, or made with another secret). Ask your Closer admin for a new one.');
  }
  if (q.data.expires * 1000 < now.getTime()) throw new InstallRefusedError('This install link has expired. Ask your Closer admin for a new one (links work for an hour).');
  return { tenant: q.data.tenant, linkId: q.data.link };
}

/** How a link id is stored: a hash, so reading the table does not give anyone a link. */
export const linkHash = (linkId: string) => crypto.createHash('sha256').update(`closer-slack-install-link\n${linkId}`).digest('hex');
