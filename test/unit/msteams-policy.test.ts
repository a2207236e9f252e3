import { describe, expect, it } from 'vitest';
import { anonymousRefusal, DEFAULT_AUTHORITY, teamsSettings, serviceUrlPolicy } from '../../src/bots/msteams/account.ts';
import { connectorScope, serviceUrlClaimMismatch } from '../../src/bots/msteams/auth.ts';
import { assertServiceUrl, serviceUrlRefusal } from '../../src/bots/msteams/service-url.ts';
import { ChannelApiError } from '../../src/errors.ts';
import type { ChannelAccount } from '../../src/bots/accounts.ts';

const account = (over: Partial<ChannelAccount> = {}): ChannelAccount => ({
  id: 'acc',
  tenantId: 'ten',
  channel: 'msteams',
  name: 'bot',
  externalId: 'app',
  config: { appId: '11111111-2222-3333-4444-555555555555' },
  secrets: { appPassword: 'pw' },
  apiBaseUrl: null,
  status: 'active',
  ...over,
});
const production = { apiUrlOnly: false, apiUrl: null };

describe('Teams serviceUrl allowlist (no posting to arbitrary hosts)', () => {
  it('allows the Microsoft connector hosts of every cloud over https', () => {
    for (const url of [
      'https://smba.trafficmanager.net/amer/',
      'https://smba.trafficmanager.net/teams/',
      'https://smba.infra.gcc.teams.microsoft.com/',
      'https://smba.infra.gov.teams.microsoft.us/',
      'https://smba.infra.dod.teams.microsoft.us/',
      'https://webchat.botframework.com/',
      'https://europe.directline.botframework.com/',
      'https://directline.botframework.azure.us/',
      'https://webchat.botframework.azure.cn/',
    ]) {
      expect(serviceUrlRefusal(url, production), url).toBeUndefined();
    }
  });

  it('refuses other hosts, look-alikes, plain http, embedded credentials and non-URLs', () => {
    for (const url of [
      'https://evil.example.com/',
      'https://smba.trafficmanager.net.evil.com/amer/',
      'https://evilbotframework.com/',
      'http://smba.trafficmanager.net/amer/',
      'https://user:pw@smba.trafficmanager.net/amer/',
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1:3978/',
      'file:///etc/passwd',
      'not a url',
    ]) {
      expect(serviceUrlRefusal(url, production), url).toBeDefined();
    }
    expect(() => assertServiceUrl('https://evil.example.com/', production)).toThrow(ChannelApiError);
    try {
      assertServiceUrl('https://evil.example.com/', production);
    } catch (err) {
      expect((err as ChannelApiError).permanent).toBe(true);
      expect((err as Error).message).toMatch(/not a Microsoft Bot Framework connector.*--api-url/);
    }
  });

  it("also allows the account's --api-url, by scheme, host, port and path prefix", () => {
    const p = { apiUrlOnly: false, apiUrl: 'http://127.0.0.1:3978/proxy' };
    expect(serviceUrlRefusal('http://127.0.0.1:3978/proxy', p)).toBeUndefined();
    expect(serviceUrlRefusal('http://127.0.0.1:3978/proxy/amer/', p)).toBeUndefined();
    expect(serviceUrlRefusal('http://127.0.0.1:3978/proxyevil/', p)).toBeDefined();
    expect(serviceUrlRefusal('http://127.0.0.1:3979/proxy/', p)).toBeDefined();
    expect(serviceUrlRefusal('https://127.0.0.1:3978/proxy/', p)).toBeDefined();
    expect(serviceUrlRefusal('https://smba.trafficmanager.net/amer/', p)).toBeUndefined();
  });

  it('lets an anonymous account post only to its --api-url, never to a Microsoft host', () => {
    const anon = serviceUrlPolicy(teamsSettings(account({ config: { anonymous: true }, apiBaseUrl: 'http://127.0.0.1:3978' })));
    expect(anon.apiUrlOnly).toBe(true);
    expect(serviceUrlRefusal('http://127.0.0.1:3978/', anon)).toBeUndefined();
    expect(serviceUrlRefusal('https://smba.trafficmanager.net/amer/', anon)).toMatch(/anonymous account only posts there/);
    const nowhere = serviceUrlPolicy(teamsSettings(account({ config: {}, secrets: {} })));
    expect(serviceUrlRefusal('http://127.0.0.1:3978/', nowhere)).toMatch(/has no --api-url/);
  });
});

describe('Teams account modes', () => {
  it('is anonymous without an app id or with --anonymous, and never because of a config it cannot read', () => {
    expect(teamsSettings(account()).mode).toBe('credentials');
    expect(teamsSettings(account()).authority).toBe(DEFAULT_AUTHORITY);
    expect(teamsSettings(account({ config: {} })).mode).toBe('anonymous');
    expect(teamsSettings(account({ config: { appId: 'x', anonymous: true } })).mode).toBe('anonymous');
    expect(teamsSettings(account({ config: { appId: 42 } })).mode).toBe('credentials');
    expect(teamsSettings(account({ config: { appId: 'x', authUrl: 'https://login.microsoftonline.us/' } })).authority).toBe('https://login.microsoftonline.us');
  });

  it('refuses anonymous mode when NODE_ENV=production, saying how to fix it', () => {
    const anon = teamsSettings(account({ config: {}, secrets: {} }));
    expect(anonymousRefusal(anon, { env: 'production', allowAnonymous: true })).toMatch(/refused when NODE_ENV=production.*closer channels add msteams .*--app-id/);
    expect(anonymousRefusal(anon, { env: 'development', allowAnonymous: false })).toMatch(/MSTEAMS_ALLOW_ANONYMOUS=on/);
    expect(anonymousRefusal(anon, { env: 'development', allowAnonymous: true })).toBeUndefined();
    expect(anonymousRefusal(anon, { env: 'test', allowAnonymous: true })).toBeUndefined();
    expect(anonymousRefusal(teamsSettings(account()), { env: 'production', allowAnonymous: false })).toBeUndefined();
  });

  it('asks for the connector token of the right cloud and compares the serviceurl claim loosely but exactly', () => {
    expect(connectorScope('https://login.microsoftonline.com')).toBe('https://api.botframework.com/.default');
    expect(connectorScope('https://login.microsoftonline.us')).toBe('https://api.botframework.us/.default');
    expect(serviceUrlClaimMismatch({ serviceurl: 'https://smba.trafficmanager.net/amer' }, 'https://SMBA.trafficmanager.net/amer/')).toBe(false);
    expect(serviceUrlClaimMismatch({ serviceurl: 'https://smba.trafficmanager.net/amer/' }, 'https://smba.trafficmanager.net/emea/')).toBe(true);
    expect(serviceUrlClaimMismatch({}, 'https://smba.trafficmanager.net/emea/')).toBe(false);
  });
});
