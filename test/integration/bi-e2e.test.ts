import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { localAsk, type AskResult } from '../../src/bots/local/session.ts';
import type { OutboundPart } from '../../src/core/messages/types.ts';
import { resolveTime } from '../../src/core/bi/time.ts';
import { formatValue } from '../../src/core/bi/format.ts';
import { tenantWeekStart } from '../../src/core/bi/execute.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

// The same path as `closer ask`: persist → queue → rules agent → tools → delivery, on the seeded demo tenants.
let app: TestApp;
const tenants = new Map<string, Tenant>();
beforeAll(async () => {
  app = await startTestApp();
  for (const slug of ['demo-clinic', 'demo-realty']) tenants.set(slug, await withSystem(app.db, (sql) => getTenantBySlug(sql, slug)));
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const ask = (tenant: string, as: string, text: string, chat?: string) => localAsk(app.local, { tenant, as, text, chat }, 20_000);
const parts = (r: AskResult): OutboundPart[] => r.replies.flatMap((x) => x.parts);
const part = <T extends OutboundPart['type']>(r: AskResult, type: T) => parts(r).find((p): p is Extract<OutboundPart, { type: T }> => p.type === type);
const firstText = (r: AskResult) => part(r, 'text')?.text ?? '';

async function one(slug: string, text: string, values: unknown[]): Promise<number> {
  const v = await withTenant(app.db, tenants.get(slug)!.id, async (sql) => (await sql.query<{ v: string | null }>(text, values)).rows[0]?.v);
  return Number(v ?? 0);
}

/** Revenue with plain SQL, independent of the semantic layer: won deals closed in [start, end). */
function revenue(slug: string, start: Date, end: Date, ownerEmail?: string): Promise<number> {
  return one(
    slug,
    `SELECT COALESCE(sum(d.amount), 0) AS v FROM deals d ${ownerEmail ? 'JOIN staff_users s ON s.id = d.owner_id AND s.email = $3' : ''}
     WHERE d.status = 'won' AND d.closed_at >= $1 AND d.closed_at < $2`,
    ownerEmail ? [start, end, ownerEmail] : [start, end],
  );
}

function range(slug: string, spec: string) {
  const t = tenants.get(slug)!;
  // The app answers with the real clock; read the period the same way at (almost) the same instant.
  return resolveTime(spec, { now: new Date(), timezone: t.timezone, weekStart: tenantWeekStart(t) });
}

describe('business questions through the local channel', () => {
  const chat = `bi-${randomUUID().slice(0, 8)}`;

  it('a manager asks "revenue last month by rep": one line, a table of reps and a chart', async () => {
    const r = await ask('demo-clinic', 'manager', 'revenue last month by rep', chat);
    expect(r.toolCalls).toEqual([{ name: 'query_metrics', args: { question: 'revenue last month by rep' } }]);
    const last = range('demo-clinic', 'last_month');
    const total = await revenue('demo-clinic', last.start!, last.end!);
    expect(total).toBeGreaterThan(0);
    expect(firstText(r)).toMatch(/^Revenue .+: /);
    expect(firstText(r).endsWith(`: ${formatValue(total, 'money', 'THB', 'en')}`)).toBe(true);
    const table = part(r, 'table');
    expect(table?.columns).toEqual(['Rep', 'Revenue']);
    expect(table!.rows.length).toBeGreaterThan(3);
    expect(table!.rows.map((row) => row[0])).toContain('Ploy Rattanakul');
    const ploy = await revenue('demo-clinic', last.start!, last.end!, 'ploy@demo-clinic.example');
    expect(table!.rows.find((row) => row[0] === 'Ploy Rattanakul')![1]).toBe(formatValue(ploy, 'money', 'THB', 'en'));
    const image = part(r, 'image');
    expect(image?.url).toMatch(/^data:image\/(png|svg\+xml)/);
  });

  it('"compare with the month before" in the same conversation compares that answer with the month before it', async () => {
    const r = await ask('demo-clinic', 'manager', 'compare with the month before', chat);
    expect(r.toolCalls.map((c) => c.name)).toEqual(['query_metrics']);
    const last = range('demo-clinic', 'last_month');
    const [now, before] = await Promise.all([revenue('demo-clinic', last.start!, last.end!), revenue('demo-clinic', last.previous!.start, last.previous!.end)]);
    expect(firstText(r)).toContain(formatValue(now, 'money', 'THB', 'en'));
    expect(firstText(r)).toContain(`vs the month before (${formatValue(before, 'money', 'THB', 'en')})`);
    expect(part(r, 'table')?.columns).toEqual(['Rep', 'Revenue', 'Previous', 'Change']);
  });

  it('"compare with the month before" in a fresh conversation says it does not know what to compare', async () => {
    const r = await ask('demo-clinic', 'manager', 'compare with the month before', `fresh-${randomUUID().slice(0, 8)}`);
    expect(r.toolCalls.map((c) => c.name)).toEqual(['query_metrics']);
    expect(parts(r).some((p) => p.type === 'table')).toBe(false);
    expect(firstText(r)).toMatch(/could not tell which number/);
  });

  let reportNumber = '';
  it('"send me this every Monday at 9" schedules the compared question, which she can list', async () => {
    const r = await ask('demo-clinic', 'manager', 'send me this every Monday at 9', chat);
    expect(r.toolCalls).toEqual([{ name: 'schedule_report', args: { when: 'every Monday at 9' } }]);
    const m = /^Scheduled report #(\d+): (.+) — every Monday at 09:00 \(Asia\/Bangkok\)/.exec(firstText(r));
    expect(m, firstText(r)).not.toBeNull();
    reportNumber = m![1]!;
    expect(m![2]).toBe('revenue last month by rep · compare with the month before');
    const row = await withTenant(app.db, tenants.get('demo-clinic')!.id, async (sql) =>
      (await sql.query<{ cron: string; query: { metric: string; compare: string; time: string; dimensions: string[] } }>(`SELECT cron, query FROM scheduled_reports WHERE number = $1 AND status = 'active' AND staff_user_id = (SELECT id FROM staff_users WHERE email = 'kanya@demo-clinic.example')`, [Number(reportNumber)])).rows[0],
    );
    expect(row).toMatchObject({ cron: '0 9 * * 1', query: { metric: 'revenue', time: 'last_month', compare: 'previous_period', dimensions: ['rep'] } });

    const list = await ask('demo-clinic', 'manager', 'my reports', chat);
    expect(list.toolCalls.map((c) => c.name)).toEqual(['list_reports']);
    const rows = part(list, 'table')!.rows;
    expect(rows.find((x) => x[0] === reportNumber)?.[2]).toBe('every Monday at 09:00 (Asia/Bangkok)');
  });

  it('she cancels it and it is gone from her list', async () => {
    const r = await ask('demo-clinic', 'manager', `cancel report ${reportNumber}`, chat);
    expect(r.toolCalls).toEqual([{ name: 'cancel_report', args: { number: Number(reportNumber) } }]);
    expect(firstText(r)).toMatch(new RegExp(`^Cancelled report #${reportNumber} `));
    const list = await ask('demo-clinic', 'manager', 'my reports', chat);
    expect(part(list, 'table')?.rows.some((x) => x[0] === reportNumber) ?? false).toBe(false);
  });

  it('Thai: "ยอดขายเดือนนี้" answers in Thai with this month\'s revenue', async () => {
    const r = await ask('demo-clinic', 'manager', 'ยอดขายเดือนนี้');
    expect(r.toolCalls).toEqual([{ name: 'query_metrics', args: { question: 'ยอดขายเดือนนี้' } }]);
    const m = range('demo-clinic', 'this_month');
    expect(firstText(r).startsWith('ยอดขาย')).toBe(true);
    expect(firstText(r)).toContain(formatValue(await revenue('demo-clinic', m.start!, m.end!), 'money', 'THB', 'th'));
  });

  it('Arabic: "كم عميل محتمل جديد هذا الأسبوع؟" counts this week\'s new leads in Riyadh time', async () => {
    const r = await ask('demo-realty', 'manager', 'كم عميل محتمل جديد هذا الأسبوع؟');
    expect(r.toolCalls.map((c) => c.name)).toEqual(['query_metrics']);
    const w = range('demo-realty', 'this_week');
    const n = await one('demo-realty', 'SELECT count(*)::int AS v FROM leads WHERE created_at >= $1 AND created_at < $2', [w.start, w.end]);
    expect(firstText(r).startsWith('العملاء المحتملون الجدد')).toBe(true);
    expect(firstText(r)).toContain(formatValue(n, 'count', 'SAR', 'ar'));
  });

  it('a rep asking "revenue by rep" gets only their own row', async () => {
    const r = await ask('demo-clinic', 'ploy@demo-clinic.example', 'revenue this quarter by rep');
    expect(r.toolCalls.map((c) => c.name)).toEqual(['query_metrics']);
    expect(firstText(r)).toContain('your own numbers');
    const q = range('demo-clinic', 'this_quarter');
    const own = await revenue('demo-clinic', q.start!, q.end!, 'ploy@demo-clinic.example');
    expect(own).toBeGreaterThan(0);
    expect(firstText(r)).toContain(formatValue(own, 'money', 'THB', 'en'));
    expect(part(r, 'table')?.rows.map((x) => x[0])).toEqual(['Ploy Rattanakul']);
  });

  it('a customer asking "revenue this month" never reaches the tool and gets no numbers', async () => {
    const r = await ask('demo-clinic', 'customer', 'revenue this month');
    expect(r.actor.role).toBe('customer');
    expect(r.toolCalls.map((c) => c.name)).not.toContain('query_metrics');
    expect(parts(r).some((p) => p.type === 'table' || p.type === 'image')).toBe(false);
    const m = range('demo-clinic', 'this_month');
    expect(r.reply).not.toContain(formatValue(await revenue('demo-clinic', m.start!, m.end!), 'money', 'THB', 'en'));
    expect(r.reply).not.toContain(formatValue(await revenue('demo-clinic', m.start!, m.end!), 'money', 'THB', 'th'));
  });

  it.each([
    ['demo-clinic', 'revenue for Ploy this month', 'ploy@demo-clinic.example', 'Ploy Rattanakul', 'en'],
    ['demo-clinic', 'ยอดขายของ Ploy', 'ploy@demo-clinic.example', 'Ploy Rattanakul', 'th'],
    ['demo-realty', 'إيرادات عمر', 'omar@demo-realty.example', 'Omar Al-Harbi', 'ar'],
  ])('names a rep: %s', async (slug, text, email, name, locale) => {
    const r = await ask(slug, 'manager', text);
    expect(r.toolCalls.map((c) => c.name)).toEqual(['query_metrics']);
    const m = range(slug, 'this_month');
    const own = await revenue(slug, m.start!, m.end!, email);
    expect(firstText(r)).toContain(name);
    expect(firstText(r)).toContain(formatValue(own, 'money', tenants.get(slug)!.currency, locale));
  });
});
