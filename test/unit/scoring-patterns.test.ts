import { describe, expect, it } from 'vitest';
import { matchIntent } from '../../src/agents/rules/patterns.ts';

describe('rules-mode phrases for scoring, hot leads and deal probability', () => {
  it.each([
    // hot leads
    ['who should I call next?', 'list_hot_leads', {}],
    ['/hot', 'list_hot_leads', {}],
    ['/hot 5', 'list_hot_leads', { limit: '5' }],
    ['hot leads', 'list_hot_leads', {}],
    ['my top leads', 'list_hot_leads', {}],
    ['show me the top 20 leads', 'list_hot_leads', { limit: '20' }],
    ['hot leads for Ploy', 'list_hot_leads', { owner: 'Ploy' }],
    ["Omar's hot leads", 'list_hot_leads', { owner: 'Omar' }],
    ['top leads in proposal', 'list_hot_leads', { stage: 'proposal' }],
    ['ควรโทรหาใครก่อน', 'list_hot_leads', {}],
    ['ลูกค้าที่น่าสนใจ', 'list_hot_leads', {}],
    ['ลีดร้อน', 'list_hot_leads', {}],
    ['ลีดร้อนของพลอย', 'list_hot_leads', { owner: 'พลอย' }],
    ['من أتصل به أولاً؟', 'list_hot_leads', {}],
    ['العملاء الساخنين', 'list_hot_leads', {}],
    ['أهم العملاء', 'list_hot_leads', {}],
    ['أهم 5 العملاء', 'list_hot_leads', { limit: '5' }],
    // explain score
    ['why is Nok a B?', 'explain_score', { lead: 'Nok' }],
    ['explain her score', 'explain_score', { lead: 'her' }],
    ['score for Somjai', 'explain_score', { lead: 'Somjai' }],
    ['/score Nok', 'explain_score', { lead: 'Nok' }],
    ["what's Nok's score?", 'explain_score', { lead: 'Nok' }],
    ['คะแนนของนก', 'explain_score', { lead: 'นก' }],
    ['ทำไมนกได้เกรด B', 'explain_score', { lead: 'นก' }],
    ['อธิบายคะแนนของเธอ', 'explain_score', { lead: 'เธอ' }],
    ['تقييم فيصل', 'explain_score', { lead: 'فيصل' }],
    ['اشرح تقييم فيصل العتيبي', 'explain_score', { lead: 'فيصل العتيبي' }],
    // deal probability
    ['deal probability for Faisal', 'deal_probability', { lead: 'Faisal' }],
    ['what are the chances with her?', 'deal_probability', { lead: 'her' }],
    ['/prob Nok', 'deal_probability', { lead: 'Nok' }],
    ['how likely is Nok to buy?', 'deal_probability', { lead: 'Nok' }],
    ['โอกาสปิดการขายของนก', 'deal_probability', { lead: 'นก' }],
    ['นกมีโอกาสซื้อไหม', 'deal_probability', { lead: 'นก' }],
    ['ما احتمال إغلاق صفقة فيصل؟', 'deal_probability', { lead: 'فيصل' }],
    ['احتمال إغلاق صفقة فيصل العتيبي', 'deal_probability', { lead: 'فيصل العتيبي' }],
  ])('%s → %s', (text, intent, args) => {
    const m = matchIntent(text);
    expect(m?.intent).toBe(intent);
    expect(m?.args).toEqual(args);
  });

  it('leaves the lookup phrases to lookup_lead', () => {
    expect(matchIntent('tell me about Somjai')?.intent).toBe('lookup_lead');
    expect(matchIntent('ข้อมูล นก')?.intent).toBe('lookup_lead');
    expect(matchIntent('معلومات عن فيصل')?.intent).toBe('lookup_lead');
  });
});
