import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../helpers/cli.ts';

/**
 * The product as a user runs it: `closer start` on embedded defaults (its
 * own PGlite and private redis-server under CLOSER_HOME), and `closer ask`
 * both through the running process and on its own.
 */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-e2e-'));
const env = { CLOSER_HOME: home, PORT: '0', LOG_LEVEL: 'info' };
let server: ChildProcess | undefined;
let url = '';

function waitForReady(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`closer start was not ready in time:\n${out}`)), 150_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Chat in your browser: (http:\/\/[^/\s]+)\/local\/login\/\S+\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`closer start exited with ${code}:\n${out}`)));
  });
}

beforeAll(async () => {
  server = spawn(process.execPath, [CLI, 'start'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  url = await waitForReady(server);
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(home, { recursive: true, force: true });
});

describe('closer start + closer ask', () => {
  it('serves health and readiness', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', redis: 'ok' });
  });

  it('`closer web-link` prints a one-time link to the running process; it signs in once', async () => {
    const r = await runCli(['web-link'], env);
    expect(r.code, r.stderr).toBe(0);
    const link = r.stdout.trim();
    expect(link.startsWith(`${url}/local/login/`)).toBe(true);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(303);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(403);
  });

  it('runs `ask --json` through the running process', async () => {
    const r = await runCli(['ask', '--tenant', 'demo-clinic', '--as', 'rep', '--json', 'ข้อมูล นก'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ tenant: 'demo-clinic', mode: 'rules', toolCalls: [{ name: 'lookup_lead', args: { query: 'นก' } }] });
    expect(out.reply).toMatch(/นก/);
    expect(out.inboundMessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect((out.outboundMessageIds as string[]).length).toBe(1);
  });

  it('runs a JSONL file, one result per line, errors included', async () => {
    const file = path.join(home, 'turns.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ tenant: 'demo-realty', as: 'omar@demo-realty.example', text: 'معلومات عن فيصل' }),
        JSON.stringify({ tenant: 'demo-realty', as: 'telegram:12345', text: 'help' }),
        JSON.stringify({ tenant: 'nope', as: 'rep', text: 'help' }),
      ].join('\n') + '\n',
    );
    const r = await runCli(['ask', '--tenant', 'demo-realty', '--file', file], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ toolCalls: [{ name: 'lookup_lead' }], actor: { role: 'rep' } });
    expect(lines[0]!.reply).toMatch(/فيصل/);
    expect(lines[1]).toMatchObject({ actor: { role: 'customer' }, toolCalls: [] });
    expect(lines[2]!.error).toMatch(/No tenant with slug "nope"/);
  });

  it('refuses a second `closer start` on the same embedded database, saying why', async () => {
    const r = await runCli(['start'], env, 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already running/);
  });

  it('runs `ask` on its own once the server is stopped', async () => {
    const exited = new Promise((r) => server!.once('exit', r));
    server!.kill('SIGTERM');
    await exited;
    const r = await runCli(['ask', '--tenant', 'demo-realty', '--as', 'manager', '--json', 'help'], { ...env, LOG_LEVEL: 'warn' });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ tenant: 'demo-realty', mode: 'rules', actor: { role: 'manager' }, toolCalls: [] });
    expect(fs.existsSync(path.join(home, 'closer.lock'))).toBe(false);
  });
});
