import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { rawRequest } from './http.ts';

/**
 * Item 1: the local web chat. An attacker is a web page in the same browser
 * (DNS rebinding, cross-site requests), anybody on the network, or someone who
 * reads the page's HTML. None of them may reach /local/api.
 */
let app: TestApp;
let url: string;
let locked: TestApp;

const sessionFrom = async (link: string): Promise<string> => {
  const res = await fetch(link, { redirect: 'manual' });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie')!;
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie.split(';')[0]!;
};

beforeAll(async () => {
  app = await startTestApp({ http: true, workers: false });
  url = app.http!.url;
  locked = await startTestApp({ http: true, workers: false, env: { LOCAL_CHAT: 'on', NODE_ENV: 'production', LOCAL_CHAT_PASSWORD: 'correct horse battery' } });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await locked?.close();
});

describe('local web chat lock-down (attacks)', () => {
  it('the page carries no token and the API answers nobody without a session', async () => {
    const page = await fetch(url + '/');
    expect(page.status).toBe(401);
    const html = await page.text();
    expect(html).not.toMatch(/closer-token|__CLOSER_TOKEN__/);
    for (const path of ['/local/api/people', '/local/api/conversations/00000000-0000-4000-8000-000000000000/messages?tenant=demo-clinic']) {
      expect((await fetch(url + path)).status).toBe(401);
    }
    // The old ?token= query parameter is not a way in either.
    expect((await fetch(url + '/local/api/people?token=anything')).status).toBe(401);
    const post = await fetch(url + '/local/api/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'demo-clinic', as: 'admin', text: 'hi' }) });
    expect(post.status).toBe(401);
  });

  it('a one-time link signs in once; the cookie is HttpOnly and SameSite=Strict', async () => {
    const link = app.http!.newLoginLink()!;
    const cookie = await sessionFrom(link);
    const people = await fetch(url + '/local/api/people', { headers: { cookie } });
    expect(people.status).toBe(200);
    expect(((await people.json()) as { tenants: unknown[] }).tenants.length).toBeGreaterThan(0);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(403);
  });

  it('DNS rebinding: a request naming another host is refused even with a valid session', async () => {
    const cookie = await sessionFrom(app.http!.newLoginLink()!);
    const rebound = await rawRequest(url + '/local/api/people', { headers: { cookie, host: 'attacker.example:3000' } });
    expect(rebound.status).toBe(403);
    const page = await rawRequest(url + '/', { headers: { cookie, host: 'attacker.example' } });
    expect(page.status).toBe(403);
    expect((await rawRequest(url + '/local/api/people', { headers: { cookie, host: new URL(url).host } })).status).toBe(200);
  });

  it('a cross-site POST (foreign Origin, or none) cannot send a message with the session', async () => {
    const cookie = await sessionFrom(app.http!.newLoginLink()!);
    const body = JSON.stringify({ tenant: 'demo-clinic', as: 'admin', text: 'export everything' });
    const foreign = await fetch(url + '/local/api/messages', { method: 'POST', headers: { cookie, origin: 'http://attacker.example', 'content-type': 'application/json' }, body });
    expect(foreign.status).toBe(403);
    const none = await fetch(url + '/local/api/messages', { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body });
    expect(none.status).toBe(403);
    const same = await fetch(url + '/local/api/messages', { method: 'POST', headers: { cookie, origin: url, 'content-type': 'application/json' }, body });
    expect(same.status).toBe(200);
  });

  it('a browser session cannot mint login links (only the lock-file token can)', async () => {
    const cookie = await sessionFrom(app.http!.newLoginLink()!);
    const res = await fetch(url + '/local/api/login-links', { method: 'POST', headers: { cookie, origin: url } });
    expect(res.status).toBe(403);
  });

  it('is off by default off loopback, in production and with a server database; on there only with a password', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).localChat).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production' }).localChat).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).localChat).toBe(false);
    for (const env of [{ HOST: '0.0.0.0' }, { NODE_ENV: 'production' }, { DATABASE_URL: 'postgres://u@h/db' }]) {
      expect(() => loadConfig({ ...env, LOCAL_CHAT: 'on' })).toThrow(ConfigError);
      expect(loadConfig({ ...env, LOCAL_CHAT: 'on', LOCAL_CHAT_PASSWORD: 'correct horse battery' }).localChat).toBe(true);
    }
  });

  it('with a password, a wrong one gets nothing and the right one a session', async () => {
    const base = locked.http!.url;
    const form = (password: string) => ({ method: 'POST', redirect: 'manual' as const, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: `password=${encodeURIComponent(password)}` });
    const wrong = await fetch(base + '/local/login', form('guess guess guess'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const right = await fetch(base + '/local/login', form('correct horse battery'));
    expect(right.status).toBe(303);
    const cookie = right.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(base + '/local/api/people', { headers: { cookie } })).status).toBe(200);
  });
});
