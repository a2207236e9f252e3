import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ROOT } from '../helpers/cli.ts';

/** The local web chat in a real (headless) Chromium. Screenshots land in test-results/ for a person to look at. */
const SHOTS = path.join(ROOT, 'test-results');
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  app = await startTestApp({ http: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('local web chat', () => {
  it('lets a Thai rep look up a lead and press a candidate button', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    // The one-time link sets the session cookie and lands on the chat.
    await page.goto(app.http!.newLoginLink()!);
    await page.selectOption('#tenant', 'demo-clinic');
    await page.selectOption('#person', 'ploy@demo-clinic.example');
    await page.fill('#text', 'ข้อมูล นก');
    await page.press('#text', 'Enter');
    await page.locator('.msg.out .card h3', { hasText: 'นก' }).waitFor({ timeout: 20_000 });
    await page.fill('#text', 'tell me about Somjai');
    await page.click('#send');
    const choice = page.locator('.msg.out .buttons button').first();
    await choice.waitFor({ timeout: 20_000 });
    const label = (await choice.textContent())!;
    await choice.click();
    await page.locator('.msg.out .card h3', { hasText: label }).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(SHOTS, 'webchat-clinic-th.png'), fullPage: true });
    await page.close();
  });

  it('shows an Arabic conversation right to left', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    await page.goto(app.http!.newLoginLink()!);
    await page.selectOption('#tenant', 'demo-realty');
    await page.selectOption('#person', 'omar@demo-realty.example');
    await page.fill('#text', 'معلومات عن فيصل');
    await page.press('#text', 'Enter');
    const card = page.locator('.msg.out .card h3', { hasText: 'فيصل' });
    await card.waitFor({ timeout: 20_000 });
    const direction = await card.evaluate((el) => getComputedStyle(el).direction);
    expect(direction).toBe('rtl');
    expect(await page.locator('html').getAttribute('lang')).toBe('ar');
    await page.screenshot({ path: path.join(SHOTS, 'webchat-realty-ar.png'), fullPage: true });
    await page.close();
  });

  it('rejects API calls without a session, and a used link does not sign in again', async () => {
    const res = await fetch(app.http!.url + '/local/api/people');
    expect(res.status).toBe(401);
    const link = app.http!.newLoginLink()!;
    const page = await browser.newPage();
    await page.goto(link);
    await page.locator('#tenant option').first().waitFor({ state: 'attached' });
    const cookie = (await page.context().cookies()).find((c) => c.name === 'closer_local');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const again = await browser.newPage();
    const second = await again.goto(link);
    expect(second?.status()).toBe(403);
    await page.close();
    await again.close();
  });
});
