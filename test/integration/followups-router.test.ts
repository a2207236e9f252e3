import { describe, expect, it } from 'vitest';
import { matchIntent } from '../../src/agents/rules/patterns.ts';
import { listFollowupsTool } from '../../src/tools/list_followups.ts';
import { cancelFollowupTool } from '../../src/tools/cancel_followup.ts';

// Pure (no database): kept here because the unit folder's names belong to other areas.
describe('rules router: follow-up phrases (en/th/ar)', () => {
  it.each([
    ['show follow-ups for Nok', { lead: 'Nok' }],
    ['show me the upcoming follow-ups for Somjai Chaiyaporn', { lead: 'Somjai Chaiyaporn' }],
    ["show Faisal's follow-ups", { lead: 'Faisal' }],
    ['follow-ups for her?', { lead: 'her' }],
    ['what follow-ups does Nok have?', { lead: 'Nok' }],
    ["when is Nok's next follow-up?", { lead: 'Nok' }],
    ['/followups Nok', { lead: 'Nok' }],
    ['ดูการติดตามของนก', { lead: 'นก' }],
    ['ขอดูนัดติดตามของคุณนกหน่อยค่ะ', { lead: 'นก' }],
    ['นกมีนัดติดตามอะไรบ้าง', { lead: 'นก' }],
    ['اعرض متابعات فيصل', { lead: 'فيصل' }],
    ['ما هي المتابعات القادمة مع فيصل؟', { lead: 'فيصل' }],
    ['متابعات فيصل', { lead: 'فيصل' }],
  ])('%s → list_followups', (text, expected) => {
    const m = matchIntent(text);
    expect(m?.intent).toBe('list_followups');
    const parsed = listFollowupsTool.input.safeParse(m!.args);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject(expected);
  });

  it.each([
    ['cancel follow-ups for Nok', { lead: 'Nok' }],
    ['cancel all pending follow-ups for Somjai Chaiyaporn', { lead: 'Somjai Chaiyaporn' }],
    ["cancel Faisal's follow-ups", { lead: 'Faisal' }],
    ['stop following up with her', { lead: 'her' }],
    ['/cancelfollowups Nok', { lead: 'Nok' }],
    ['ยกเลิกการติดตามของนก', { lead: 'นก' }],
    ['ยกเลิกการติดตามคุณนกทั้งหมดค่ะ', { lead: 'นก' }],
    ['ไม่ต้องติดตามนกแล้ว', { lead: 'นก' }],
    ['ألغ متابعات فيصل', { lead: 'فيصل' }],
    ['إلغاء كل المتابعات مع فيصل', { lead: 'فيصل' }],
    ['أوقف المتابعة مع فيصل', { lead: 'فيصل' }],
  ])('%s → cancel_followup', (text, expected) => {
    const m = matchIntent(text);
    expect(m?.intent).toBe('cancel_followup');
    const parsed = cancelFollowupTool.input.safeParse(m!.args);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject(expected);
  });

  it('leaves scheduling a follow-up to update_workflow', () => {
    expect(matchIntent('follow up with Faisal in 3 days')?.intent).toBe('update_workflow');
    expect(matchIntent('ติดตามนกวันศุกร์')?.intent).toBe('update_workflow');
  });
});
