import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAsk, type LocalSendInput } from '../../src/bots/local/session.ts';
import { matchIntent } from '../../src/agents/rules/patterns.ts';
import { morningDigestTool } from '../../src/tools/morning_digest.ts';
import { checkAnomaliesTool } from '../../src/tools/check_anomalies.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** "Morning digest" and "anything unusual?" in chat, through the real pipeline on the demo data (read-only). */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const ask = (tenant: string, as: string, input: Pick<LocalSendInput, 'text' | 'payload'>) => localAsk(app.local, { tenant, as, ...input }, 20_000);

describe('digests and anomalies in chat', () => {
  it.each([
    ['morning digest', 'morning_digest'],
    ['show me my digest', 'morning_digest'],
    ["what's on my plate today?", 'morning_digest'],
    ['/digest', 'morning_digest'],
    ['ขอดูสรุปเช้านี้หน่อยค่ะ', 'morning_digest'],
    ['ملخص الصباح', 'morning_digest'],
    ['anything unusual?', 'check_anomalies'],
    ['is there anything odd this week?', 'check_anomalies'],
    ['any anomalies?', 'check_anomalies'],
    ['มีอะไรผิดปกติไหมคะ', 'check_anomalies'],
    ['هل هناك شيء غير معتاد؟', 'check_anomalies'],
  ])('%s → %s', (text, intent) => {
    const m = matchIntent(text);
    expect(m?.intent).toBe(intent);
    const tool = intent === 'morning_digest' ? morningDigestTool : checkAnomaliesTool;
    expect(tool.input.safeParse(m!.args).success).toBe(true);
  });

  it('leaves metric questions to query_metrics', () => {
    expect(matchIntent('how many leads yesterday?')?.intent).not.toBe('check_anomalies');
    expect(matchIntent('revenue this month by rep')?.intent).toBe('query_metrics');
  });

  it("a rep asks for their digest and gets their hot leads and tasks, in Thai; asking sends nothing else", async () => {
    const r = await ask('demo-clinic', 'rep', { text: 'ขอดูสรุปเช้านี้หน่อยค่ะ' });
    expect(r.toolCalls).toEqual([{ name: 'morning_digest', args: {} }]);
    expect(r.reply).toContain('สวัสดีตอนเช้า');
    expect(r.replies.flatMap((m) => m.parts).some((p) => p.type === 'table')).toBe(true);
    const rows = await app.db.pool.query('SELECT count(*)::int AS n FROM digests');
    expect(rows.rows[0].n).toBe(0);
  });

  it('a manager asks for the digest and gets yesterday in numbers', async () => {
    const r = await ask('demo-realty', 'manager', { text: 'morning digest' });
    expect(r.toolCalls).toEqual([{ name: 'morning_digest', args: {} }]);
    // The demo data is anchored on 20 November: ask for that morning (a button or an LLM can pass the date).
    const d = await ask('demo-realty', 'manager', { payload: { action: 'morning_digest', args: { date: '2026-11-20' } } });
    const table = d.replies.flatMap((m) => m.parts).find((p) => p.type === 'table');
    expect(table?.type === 'table' && table.rows.map((row) => row[0])).toEqual(['New leads', 'Reply rate', 'Median first response', 'Deals won', 'Revenue', 'SLA breaches']);
    expect(d.reply).toContain('yesterday (Thursday 19 November)');
  });

  it('a manager asks "anything unusual?" and sees each check with its reason; a rep may not', async () => {
    const r = await ask('demo-realty', 'manager', { text: 'anything unusual?' });
    expect(r.toolCalls).toEqual([{ name: 'check_anomalies', args: {} }]);
    const table = r.replies.flatMap((m) => m.parts).find((p) => p.type === 'table');
    expect(table && table.type === 'table' && table.rows.length).toBeGreaterThan(0);
    const rep = await ask('demo-realty', 'rep', { text: 'anything unusual?' });
    expect(rep.reply).toMatch(/not available to a rep/);
    expect(rep.replies.flatMap((m) => m.parts).some((p) => p.type === 'table')).toBe(false);
    const audit = await app.db.pool.query(`SELECT outcome FROM audit_log WHERE tool = 'check_anomalies' ORDER BY created_at DESC LIMIT 1`);
    expect(audit.rows[0].outcome).toBe('refused');
    expect(await app.db.pool.query('SELECT count(*)::int AS n FROM anomaly_checks').then((x) => x.rows[0].n)).toBe(0);
  });
});
