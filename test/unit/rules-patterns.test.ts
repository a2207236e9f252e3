import { describe, expect, it } from 'vitest';
import { matchIntent } from '../../src/agents/rules/patterns.ts';
import { detectLocale } from '../../src/agents/i18n.ts';

describe('rules-mode intent patterns', () => {
  it.each([
    ['help', 'help', {}],
    ['/help', 'help', {}],
    ['ช่วยเหลือ', 'help', {}],
    ['مساعدة', 'help', {}],
    ['tell me about Somjai', 'lookup_lead', { query: 'Somjai' }],
    ['/lead Somjai Chaiyaporn', 'lookup_lead', { query: 'Somjai Chaiyaporn' }],
    ['who is Nok?', 'lookup_lead', { query: 'Nok' }],
    ['ข้อมูล นก', 'lookup_lead', { query: 'นก' }],
    ['ขอดูข้อมูลลูกค้าคุณสมใจหน่อยค่ะ', 'lookup_lead', { query: 'สมใจ' }],
    ['นกเป็นใคร', 'lookup_lead', { query: 'นก' }],
    ['معلومات عن فيصل', 'lookup_lead', { query: 'فيصل' }],
    ['من هو فيصل العتيبي؟', 'lookup_lead', { query: 'فيصل العتيبي' }],
  ])('%s → %s', (text, intent, args) => {
    expect(matchIntent(text)).toMatchObject({ intent, args });
  });

  it('leaves what it does not know unmatched', () => {
    expect(matchIntent('what is the weather')).toBeUndefined();
    expect(matchIntent('   ')).toBeUndefined();
  });
});

describe('language detection by script', () => {
  it('tells Thai, Arabic and English apart and ignores text without letters', () => {
    expect(detectLocale('สวัสดีค่ะ')).toBe('th');
    expect(detectLocale('مرحبا')).toBe('ar');
    expect(detectLocale('hello')).toBe('en');
    expect(detectLocale('ราคา laser เท่าไหร่')).toBe('th');
    expect(detectLocale('123 👍')).toBeUndefined();
  });
});
