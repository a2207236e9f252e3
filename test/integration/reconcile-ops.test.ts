import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFollowupQueue } from '../../src/jobs/followups.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { runCli } from '../helpers/cli.ts';
import { TEST_REDIS_URL } from '../helpers/redis.ts';

const ADMIN = { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'correct-horse-battery' };
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ http: true, env: ADMIN });
});
afterAll(async () => {
  await app.close();
});

describe('operations: /metrics, /admin/queues, closer jobs', () => {
  it('serves Prometheus metrics with queue depths and job tables', async () => {
    const res = await fetch(`${app.http!.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toMatch(/closer_queue_jobs\{queue="followups",state="delayed"\} \d+/);
    expect(body).toMatch(/closer_followups\{status="pending"\} \d+/);
    expect(body).toContain('# TYPE closer_job_duration_seconds histogram');
  });

  it('puts the queue dashboard behind the admin credentials', async () => {
    expect((await fetch(`${app.http!.url}/admin/queues`)).status).toBe(401);
    const wrong = await fetch(`${app.http!.url}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from('ops:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${app.http!.url}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from(`${ADMIN.ADMIN_USER}:${ADMIN.ADMIN_PASSWORD}`).toString('base64')}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<html');
  });

  it('lists jobs, shows the dead letters and refuses to cancel follow-up jobs from the terminal', async () => {
    const q = createFollowupQueue(app.redis.options, app.config.redisPrefix);
    try {
      await q.add('followup', { tenantId: 't', executionId: 'e' }, { jobId: 'cli-test-job', delay: 3_600_000 });
      const env = { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: app.config.redisPrefix, CLOSER_HOME: app.config.home, LOG_LEVEL: 'warn' };
      const list = await runCli(['jobs', 'list', '--queue', 'followups', '--state', 'delayed', '--json'], env);
      expect(list.stderr).toBe('');
      const parsed = JSON.parse(list.stdout) as { queue: string; jobs: { id: string; state: string }[] }[];
      expect(parsed[0]!.jobs).toContainEqual(expect.objectContaining({ id: 'cli-test-job', state: 'delayed' }));
      const cancel = await runCli(['jobs', 'cancel', 'cli-test-job'], env);
      expect(cancel.code).toBe(1);
      expect(cancel.stderr).toMatch(/re-created from Postgres/);
      const failed = await runCli(['jobs', 'failed'], env);
      expect(failed.code).toBe(0);
      expect(failed.stdout).toMatch(/No failed jobs|reason:/);
    } finally {
      await q.close();
    }
  });
});
