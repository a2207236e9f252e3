import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('configuration', () => {
  it('defaults to embedded mode with the local chat on', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
    expect(c.localChat).toBe(true);
    expect(c.demoSeed).toBe(true);
    expect(c.port).toBe(3000);
    expect(c.home).toBe('/srv/app/.closer');
  });

  it('turns the local chat and demo seed off with a server database unless asked', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@h/db' });
    expect(c.localChat).toBe(false);
    expect(c.demoSeed).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', LOCAL_CHAT: 'on', LOCAL_CHAT_PASSWORD: 'a long enough password' }).localChat).toBe(true);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: ' ' }).port).toBe(3000);
  });

  it('names every bad variable with an example', () => {
    try {
      loadConfig({ PORT: '99999', REDIS_URL: 'http://x', CLOSER_SECRET_KEY: 'short' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/PORT: .*example: PORT=3000/);
      expect(msg).toMatch(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
      expect(msg).toMatch(/CLOSER_SECRET_KEY: must be 64 hex characters/);
    }
  });

  it('takes the Slack install flow credentials all together, or none', () => {
    expect(loadConfig({}).slackOAuth).toBeUndefined();
    const all = { SLACK_CLIENT_ID: '123.456', SLACK_CLIENT_SECRET: 'client-secret', SLACK_SIGNING_SECRET: 'signing-secret', SLACK_STATE_SECRET: 'x'.repeat(32) };
    expect(loadConfig(all).slackOAuth).toEqual({ clientId: '123.456', clientSecret: 'client-secret', signingSecret: 'signing-secret', stateSecret: 'x'.repeat(32), authorizeUrl: 'https://slack.com/oauth/v2/authorize', apiUrl: undefined });
    expect(loadConfig({ ...all, SLACK_OAUTH_AUTHORIZE_URL: 'http://127.0.0.1:1/oauth/v2/authorize', SLACK_API_URL: 'http://127.0.0.1:1/api/' }).slackOAuth).toMatchObject({ authorizeUrl: 'http://127.0.0.1:1/oauth/v2/authorize', apiUrl: 'http://127.0.0.1:1/api/' });
    expect(() => loadConfig({ SLACK_CLIENT_ID: '123.456' })).toThrow(/missing: SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET, SLACK_STATE_SECRET/);
    expect(() => loadConfig({ ...all, SLACK_STATE_SECRET: 'short' })).toThrow(/SLACK_STATE_SECRET: at least 32 characters/);
  });
});
