import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAsk } from '../../src/bots/local/session.ts';
import type { OutboundPart } from '../../src/core/messages/types.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Objection handling, coaching and upsell end to end, the way `closer ask`
 * runs a turn: local channel → queue → rules agent → tool → reply.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

function ask(tenant: string, as: string, chat: string, text: string) {
  return localAsk(app.local, { tenant, as, chat, text }, 20_000);
}

function partsOf(r: { replies: { parts: OutboundPart[] }[] }): OutboundPart[] {
  return r.replies.flatMap((x) => x.parts);
}

function buttons(r: { replies: { parts: OutboundPart[] }[] }) {
  return partsOf(r).flatMap((p) => (p.type === 'buttons' ? p.buttons : []));
}

async function leadId(slug: string, displayName: string): Promise<string> {
  const { rows } = await app.db.pool.query<{ id: string }>(
    'SELECT l.id FROM leads l JOIN tenants t ON t.id = l.tenant_id WHERE t.slug = $1 AND l.display_name = $2',
    [slug, displayName],
  );
  return rows[0]!.id;
}

describe('a clinic rep talking about Nok in English', () => {
  const chat = `nok-en-${randomUUID().slice(0, 8)}`;

  it('handles "too expensive and she will think about it" for the lead in focus, with a follow-up button', async () => {
    const nok = await leadId('demo-clinic', 'นก');
    const card = await ask('demo-clinic', 'rep', chat, 'ข้อมูล นก');
    expect(card.toolCalls[0]!.name).toBe('lookup_lead');

    const r = await ask('demo-clinic', 'rep', chat, "she says it's too expensive and she'll think about it");
    expect(r.toolCalls).toEqual([{ name: 'handle_objection', args: { lead: 'she', text: "it's too expensive and she'll think about it" } }]);
    expect(r.reply).toMatch(/Objection: price/);
    expect(r.reply).toMatch(/Also: timing/);
    expect(r.reply).toMatch(/Acne Starter Package/);
    expect(r.reply).toMatch(/THB\s15,000/);
    expect(r.reply).toMatch(/Next step: offer the Acne Starter Package/);
    const [follow] = buttons(r);
    expect(follow?.payload.action).toBe('update_workflow');
    expect(follow?.payload.args).toMatchObject({ lead_id: nok, action: 'followup' });
    expect(WEEKDAYS).toContain(follow?.payload.args.when);

    // The button is only a proposal: pressing it hands over to the workflow tool, which accepts it.
    const pressed = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', chat, payload: follow!.payload }, 20_000);
    expect(pressed.toolCalls[0]!.name).toBe('update_workflow');
    expect(pressed.reply).not.toMatch(/couldn't do that|ทำรายการ(?:นี้)?ไม่ได้/);
  });

  it('recommends what to upsell her', async () => {
    const r = await ask('demo-clinic', 'rep', chat, 'what can I upsell her?');
    expect(r.toolCalls).toEqual([{ name: 'recommend_upsell', args: { lead: 'her' } }]);
    const table = partsOf(r).find((p) => p.type === 'table');
    expect(table?.type).toBe('table');
    if (table?.type !== 'table') return;
    expect(table.rows.length).toBeGreaterThan(1);
    expect(table.rows[0]).toEqual(['1', 'Acne Starter Package', expect.stringMatching(/3,990/), expect.stringMatching(/acne/), 'now', 'high']);
    for (const row of table.rows) {
      if (row[3]!.includes('over budget')) expect(row[4]).toBe('at the next follow-up');
    }
  });

  it('coaches on her, bringing up the price objection she raised', async () => {
    const r = await ask('demo-clinic', 'rep', chat, 'how should I approach her?');
    expect(r.toolCalls).toEqual([{ name: 'coach_advice', args: { lead: 'her' } }]);
    const card = partsOf(r).find((p) => p.type === 'card');
    expect(card?.type).toBe('card');
    if (card?.type !== 'card') return;
    expect(card.title).toBe('Coaching: นก');
    const field = (label: string) => card.fields.find((f) => f.label === label)?.value ?? '';
    expect(field('Suggestion')).toMatch(/price objection first/);
    expect(field('Talking points')).toMatch(/acne and large pores/);
    expect(field('Closing technique')).toMatch(/Saturday/);
    expect(field('Confidence')).toMatch(/^\d+% \(based on /);
    expect(buttons(r).map((b) => b.payload.action)).toEqual(['lookup_lead', 'recommend_upsell']);
  });
});

describe('an objection about "her" before anyone is named', () => {
  it('is answered in general and says it is not linked to a lead', async () => {
    const r = await ask('demo-clinic', 'rep', `fresh-${randomUUID().slice(0, 8)}`, 'he says the price is too high');
    expect(r.toolCalls[0]).toEqual({ name: 'handle_objection', args: { lead: 'he', text: 'the price is too high' } });
    expect(r.reply).toMatch(/Objection: price/);
    expect(r.reply).toMatch(/Not linked to a lead/);
    expect(r.reply).not.toMatch(/Noted on/);
    expect(buttons(r)).toEqual([]);
  });
});

describe('a clinic rep in Thai', () => {
  const chat = `nok-th-${randomUUID().slice(0, 8)}`;

  it('handles an objection, coaches and suggests courses, all in Thai', async () => {
    await ask('demo-clinic', 'rep', chat, 'ข้อมูล นก');
    const objection = await ask('demo-clinic', 'rep', chat, 'เธอบอกว่าแพงเกินไป');
    expect(objection.toolCalls[0]).toEqual({ name: 'handle_objection', args: { lead: 'เธอ', text: 'แพงเกินไป' } });
    expect(objection.reply).toMatch(/ข้อกังวล: ราคา/);
    expect(objection.reply).toMatch(/฿15,000/);

    const coach = await ask('demo-clinic', 'rep', chat, 'ควรคุยกับนกยังไง');
    expect(coach.toolCalls[0]).toEqual({ name: 'coach_advice', args: { lead: 'นก' } });
    expect(partsOf(coach).find((p) => p.type === 'card')).toMatchObject({ title: 'โค้ชการขาย: นก' });

    const upsell = await ask('demo-clinic', 'rep', chat, 'แนะนำคอร์สเพิ่มให้นก');
    expect(upsell.toolCalls[0]).toEqual({ name: 'recommend_upsell', args: { lead: 'นก' } });
    expect(upsell.reply).toMatch(/ข้อเสนอถัดไปสำหรับ นก/);
    expect(upsell.reply).toMatch(/แพ็กเกจเริ่มต้นรักษาสิว/);
  });

  it('answers a general objection with nobody in focus, without a follow-up button', async () => {
    const r = await ask('demo-clinic', 'rep', `none-${randomUUID().slice(0, 8)}`, 'ลูกค้าบอกว่าขอคิดดูก่อน');
    expect(r.toolCalls[0]).toEqual({ name: 'handle_objection', args: { text: 'ขอคิดดูก่อน' } });
    expect(r.reply).toMatch(/ข้อกังวล: เวลา/);
    expect(r.reply).toMatch(/ขอคิดดูก่อน ไว้ค่อยทำ/);
    expect(buttons(r)).toEqual([]);
  });

  it('asks which Somjai is meant, and a press finishes the coaching', async () => {
    const r = await ask('demo-clinic', 'rep', `somjai-${randomUUID().slice(0, 8)}`, 'coach me on Somjai');
    const choices = buttons(r);
    expect(choices.length).toBeGreaterThanOrEqual(2);
    expect(choices.every((b) => b.payload.action === 'coach_advice' && typeof b.payload.args.lead_id === 'string')).toBe(true);
    const pressed = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', payload: choices[0]!.payload }, 20_000);
    expect(pressed.toolCalls[0]!.name).toBe('coach_advice');
    // A press carries no text, so the reply is in the rep's own language (Ploy's is Thai).
    expect(partsOf(pressed).find((p) => p.type === 'card')).toMatchObject({ title: `โค้ชการขาย: ${choices[0]!.label}` });
  });
});

describe('a realty rep talking about Faisal in Arabic', () => {
  const chat = `faisal-${randomUUID().slice(0, 8)}`;

  it('handles a price objection with listings under his cap, coaches, and explains upsell does not apply', async () => {
    const faisal = await leadId('demo-realty', 'فيصل العتيبي');
    await ask('demo-realty', 'rep', chat, 'معلومات عن فيصل');
    const objection = await ask('demo-realty', 'rep', chat, 'يقول إن السعر مرتفع جداً');
    expect(objection.toolCalls[0]).toEqual({ name: 'handle_objection', args: { text: 'السعر مرتفع جداً' } });
    expect(objection.reply).toMatch(/الاعتراض: السعر/);
    expect(objection.reply).toMatch(/فيلا/);
    expect(buttons(objection)[0]?.payload.args).toMatchObject({ lead_id: faisal, action: 'followup' });

    const coach = await ask('demo-realty', 'rep', chat, 'كيف أتعامل مع فيصل؟');
    expect(coach.toolCalls[0]).toEqual({ name: 'coach_advice', args: { lead: 'فيصل' } });
    expect(partsOf(coach).find((p) => p.type === 'card')).toMatchObject({ title: 'تدريب: فيصل العتيبي' });

    const upsell = await ask('demo-realty', 'rep', chat, 'ماذا أقترح على فيصل أيضاً؟');
    expect(upsell.toolCalls[0]).toEqual({ name: 'recommend_upsell', args: { lead: 'فيصل' } });
    expect(upsell.reply).toMatch(/كتالوج/);
    expect(buttons(upsell)).toEqual([expect.objectContaining({ payload: { action: 'match_listings', args: { lead_id: faisal } } })]);
  });
});

describe('customers', () => {
  it('cannot use the coaching tools, even through a forged button with another lead id', async () => {
    const somjai = await leadId('demo-clinic', 'Somjai Chaiyaporn');
    for (const action of ['coach_advice', 'recommend_upsell', 'handle_objection']) {
      const r = await localAsk(app.local, { tenant: 'demo-clinic', as: 'customer', payload: { action, args: { lead_id: somjai, text: 'too expensive' } } }, 20_000);
      expect(r.actor.role).toBe('customer');
      expect(r.reply).toMatch(/not available to a customer/);
      expect(r.reply).not.toMatch(/Somjai|pigmentation|Coaching/i);
    }
  });
});
