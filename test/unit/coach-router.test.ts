import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchIntent } from '../../src/agents/rules/patterns.ts';
import { translator } from '../../src/agents/i18n.ts';

describe('rules-mode phrases for objections, coaching and upsell', () => {
  it.each([
    ["she says it's too expensive and she'll think about it", 'handle_objection', { lead: 'she', text: "it's too expensive and she'll think about it" }],
    ['/objection too expensive', 'handle_objection', { text: 'too expensive' }],
    ['objection: need to ask my husband', 'handle_objection', { text: 'need to ask my husband' }],
    ['he says the price is too high', 'handle_objection', { lead: 'he', text: 'the price is too high' }],
    ['the customer says she needs to ask her family', 'handle_objection', { text: 'she needs to ask her family' }],
    ['Somjai says it is cheaper at another clinic', 'handle_objection', { lead: 'Somjai', text: 'it is cheaper at another clinic' }],
    ['how do I handle "too expensive"?', 'handle_objection', { text: 'too expensive' }],
    ['เธอบอกว่าแพงเกินไป', 'handle_objection', { lead: 'เธอ', text: 'แพงเกินไป' }],
    ['ลูกค้าบอกว่าขอคิดดูก่อน', 'handle_objection', { text: 'ขอคิดดูก่อน' }],
    ['นกบอกว่าแพงไป', 'handle_objection', { lead: 'นก', text: 'แพงไป' }],
    ['ตอบยังไงดีถ้าลูกค้าบอกว่าแพง', 'handle_objection', { text: 'แพง' }],
    ['يقول إن السعر مرتفع جداً', 'handle_objection', { text: 'السعر مرتفع جداً' }],
    ['العميل يريد استشارة زوجته', 'handle_objection', { text: 'يريد استشارة زوجته' }],
    ['فيصل يقول إن السعر مرتفع', 'handle_objection', { lead: 'فيصل', text: 'السعر مرتفع' }],
    ['how should I approach her?', 'coach_advice', { lead: 'her' }],
    ['coach me on Nok', 'coach_advice', { lead: 'Nok' }],
    ['any tips for Faisal?', 'coach_advice', { lead: 'Faisal' }],
    ['/coach', 'coach_advice', {}],
    ['ควรคุยกับนกยังไง', 'coach_advice', { lead: 'นก' }],
    ['แนะนำวิธีปิดการขายนก', 'coach_advice', { lead: 'นก' }],
    ['كيف أتعامل مع فيصل؟', 'coach_advice', { lead: 'فيصل' }],
    ['نصيحة لإغلاق صفقة فيصل', 'coach_advice', { lead: 'فيصل' }],
    ['what can I upsell her?', 'recommend_upsell', { lead: 'her' }],
    ['upsell for Nok', 'recommend_upsell', { lead: 'Nok' }],
    ['/upsell Nok', 'recommend_upsell', { lead: 'Nok' }],
    ['แนะนำคอร์สเพิ่มให้นก', 'recommend_upsell', { lead: 'นก' }],
    ['ขายอะไรเพิ่มให้นกได้บ้าง', 'recommend_upsell', { lead: 'นก' }],
    ['แนะนำคอร์สเพิ่มให้เธอหน่อย', 'recommend_upsell', { lead: 'เธอ' }],
    ['ماذا أقترح على فيصل أيضاً؟', 'recommend_upsell', { lead: 'فيصل' }],
  ])('%s → %s', (text, intent, args) => {
    const m = matchIntent(text);
    expect(m?.intent).toBe(intent);
    expect(m?.args).toEqual(args);
  });

  it('leaves lead lookups to the lookup phrases', () => {
    expect(matchIntent('tell me about Nok')?.intent).toBe('lookup_lead');
    expect(matchIntent('ข้อมูล นก')?.intent).toBe('lookup_lead');
    expect(matchIntent('معلومات عن فيصل')?.intent).toBe('lookup_lead');
  });
});

describe('coaching reply templates', () => {
  const keys = (o: unknown, prefix = ''): string[] =>
    o && typeof o === 'object' ? Object.entries(o).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k)) : [prefix];
  const load = (locale: string) => JSON.parse(fs.readFileSync(new URL(`../../prompts/replies/${locale}/coaching.json`, import.meta.url), 'utf8')) as unknown;
  const valueAt = (o: unknown, path: string) => String(path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], o));
  const vars = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

  it('exist in en, th and ar with the same keys and the same placeholders', () => {
    const en = load('en');
    const enKeys = keys(en).sort();
    for (const locale of ['th', 'ar']) {
      const other = load(locale);
      expect(keys(other).sort(), locale).toEqual(enKeys);
      expect(translator(locale)('coaching.category.price'), locale).not.toBe(translator('en')('coaching.category.price'));
      for (const k of enKeys) expect(vars(valueAt(other, k)), `${locale}:${k}`).toEqual(vars(valueAt(en, k)));
    }
  });
});
