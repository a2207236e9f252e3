import { OutboundHostValidator } from '@microsoft/agents-hosting';
import { ChannelApiError } from '../../errors.ts';

/**
 * Where replies may be posted. Every inbound activity names the connector to
 * answer through (its serviceUrl); a bot that posts to whatever URL it is
 * handed can be made to send its bearer token, or any request, to any host
 * (SSRF). So a reply goes only to
 *  - an https URL on a Bot Framework connector host of a Microsoft cloud, or
 *  - the account's own `--api-url` (a proxy, the Bot Framework Emulator, a
 *    test fake), compared by scheme, host, port and path prefix.
 *
 * Hosts (host or any subdomain):
 *  - botframework.com: Web Chat, Direct Line (incl. regional directline),
 *    the Emulator's public channels; api.botframework.com is the public cloud.
 *  - smba.trafficmanager.net: Teams, public cloud (…/amer/, /emea/, /apac/, /teams/).
 *  - teams.microsoft.com: Teams GCC (smba.infra.gcc.teams.microsoft.com).
 *  - teams.microsoft.us: Teams GCC High and DoD (smba.infra.gov / .dod.teams.microsoft.us).
 *  - botframework.us, botframework.azure.us: Azure Government channels.
 *  - botframework.azure.cn: Azure China (21Vianet) channels.
 * The SDK's own default list also has Graph, SharePoint and Blob storage
 * hosts (attachment downloads); a serviceUrl is never one of those, so they
 * are left out.
 */
export const CONNECTOR_HOSTS = [
  'botframework.com',
  'smba.trafficmanager.net',
  'teams.microsoft.com',
  'teams.microsoft.us',
  'botframework.us',
  'botframework.azure.us',
  'botframework.azure.cn',
] as const;

const microsoft = new OutboundHostValidator({ enabled: true, includeDefaultMicrosoftHosts: false, hosts: CONNECTOR_HOSTS });

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** A path prefix ends at a segment boundary: /proxy matches /proxy and /proxy/x, never /proxyevil. */
function underPrefix(url: URL, prefix: URL): boolean {
  if (url.protocol !== prefix.protocol || url.host.toLowerCase() !== prefix.host.toLowerCase()) return false;
  const base = prefix.pathname.replace(/\/+$/, '');
  return url.pathname === base || url.pathname.startsWith(`${base}/`);
}

export interface ServiceUrlPolicy {
  /** Only the account's api-url (anonymous accounts): no Microsoft connector accepts an unauthenticated reply anyway. */
  apiUrlOnly: boolean;
  apiUrl: string | null;
}

/** Why `serviceUrl` may not be posted to, or undefined when it may. */
export function serviceUrlRefusal(serviceUrl: string, policy: ServiceUrlPolicy): string | undefined {
  const url = parse(serviceUrl);
  if (!url) return `serviceUrl ${JSON.stringify(serviceUrl.slice(0, 200))} is not a URL`;
  if (url.username || url.password) return 'a serviceUrl with credentials in it is refused';
  const prefix = policy.apiUrl ? parse(policy.apiUrl) : undefined;
  if (prefix && underPrefix(url, prefix)) return undefined;
  if (policy.apiUrlOnly) {
    return prefix
      ? `serviceUrl ${url.origin} is not the account's --api-url (${prefix.origin}${prefix.pathname}); an anonymous account only posts there`
      : 'an anonymous account has no --api-url, so it may post nowhere; add it again with --api-url (the Emulator or fake connector) or with credentials';
  }
  if (url.protocol !== 'https:') return `serviceUrl ${url.origin} is not https`;
  if (!microsoft.isAllowed(url)) {
    return `serviceUrl host ${url.hostname} is not a Microsoft Bot Framework connector (${CONNECTOR_HOSTS.join(', ')}); for a proxy add it to the account with --api-url`;
  }
  return undefined;
}

/** Throws a permanent ChannelApiError when the reply may not go to `serviceUrl`. */
export function assertServiceUrl(serviceUrl: string, policy: ServiceUrlPolicy): void {
  const why = serviceUrlRefusal(serviceUrl, policy);
  if (why) throw new ChannelApiError(`Teams reply not sent: ${why}.`, 'msteams', true, undefined, { serviceUrl: serviceUrl.slice(0, 200) });
}
