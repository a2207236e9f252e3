import { describe, expect, it } from 'vitest';
import { matchIntent } from '../../src/agents/rules/patterns.ts';
import { updateWorkflow } from '../../src/tools/update_workflow.ts';
import { matchListings } from '../../src/tools/match_listings.ts';

/**
 * Phrase → tool and arguments, then the tool's own schema on those
 * arguments: what the rules router would really call.
 */
describe('rules router: workflow phrases (en/th/ar)', () => {
  it.each([
    ['move her to negotiation', { action: 'stage', lead: 'her', stage: 'negotiation' }],
    ['move Nok to proposal and follow up on Friday', { action: 'stage', lead: 'Nok', stage: 'proposal', followup: 'on Friday' }],
    ['/stage Nok negotiation', { action: 'stage', lead: 'Nok', stage: 'negotiation' }],
    ['move Somjai Chaiyaporn to consultation booked', { action: 'stage', lead: 'Somjai Chaiyaporn', stage: 'consultation booked' }],
    ["set Nok's stage to won", { action: 'stage', lead: 'Nok', stage: 'won' }],
    ['add a note to Nok: prefers evenings', { action: 'note', lead: 'Nok', body: 'prefers evenings' }],
    ['remind me to call Faisal tomorrow at 4pm', { action: 'task', lead: 'Faisal', body: 'call Faisal', when: 'tomorrow at 4pm', assignee: 'me' }],
    ['log a call with Nok: interested in HIFU', { action: 'call', lead: 'Nok', body: 'interested in HIFU' }],
    ['log a meeting with Faisal: viewed RUH-1003, liked it', { action: 'meeting', lead: 'Faisal', body: 'viewed RUH-1003, liked it' }],
    ['assign Nok to Ploy', { action: 'assign', lead: 'Nok', assignee: 'Ploy' }],
    ['follow up with Faisal in 3 days', { action: 'followup', lead: 'Faisal', when: 'in 3 days' }],
    ['schedule a follow-up with Nok on Friday', { action: 'followup', lead: 'Nok', when: 'on Friday' }],
    ['follow up with Somjai Chaiyaporn next monday', { action: 'followup', lead: 'Somjai Chaiyaporn', when: 'next monday' }],
    ['ย้ายนกไปขั้นต่อรอง', { action: 'stage', lead: 'นก', stage: 'ขั้นต่อรอง' }],
    ['ย้ายนกไปขั้นต่อรองแล้วติดตามวันศุกร์', { action: 'stage', lead: 'นก', stage: 'ขั้นต่อรอง', followup: 'วันศุกร์' }],
    ['ติดตามนกวันศุกร์', { action: 'followup', lead: 'นก', when: 'วันศุกร์' }],
    ['ติดตามผลคุณนกอีก 3 วันค่ะ', { action: 'followup', lead: 'นก', when: 'อีก 3 วัน' }],
    ['บันทึกโน้ตนก: ชอบช่วงเย็น', { action: 'note', lead: 'นก', body: 'ชอบช่วงเย็น' }],
    ['บันทึกการโทรนก: สนใจ HIFU', { action: 'call', lead: 'นก', body: 'สนใจ HIFU' }],
    ['เตือนฉันให้โทรหานกพรุ่งนี้บ่าย 4 โมง', { action: 'task', lead: 'นก', body: 'โทรหานก', when: 'พรุ่งนี้บ่าย 4 โมง', assignee: 'ฉัน' }],
    ['มอบหมายนกให้ Ploy', { action: 'assign', lead: 'นก', assignee: 'Ploy' }],
    ['انقل فيصل إلى مرحلة التفاوض', { action: 'stage', lead: 'فيصل', stage: 'التفاوض' }],
    ['انقل فيصل إلى مرحلة التفاوض وتابع معه يوم الخميس', { action: 'stage', lead: 'فيصل', stage: 'التفاوض', followup: 'يوم الخميس' }],
    ['تابع مع فيصل يوم الخميس', { action: 'followup', lead: 'فيصل', when: 'يوم الخميس' }],
    ['أضف ملاحظة لفيصل: يفضل المساء', { action: 'note', lead: 'فيصل', body: 'يفضل المساء' }],
    ['ذكرني بالاتصال بفيصل غداً الساعة 4 مساءً', { action: 'task', lead: 'فيصل', when: 'غداً الساعة 4 مساءً' }],
    ['أسند فيصل لي', { action: 'assign', lead: 'فيصل', assignee: 'لي' }],
  ])('%s', (text, expected) => {
    const m = matchIntent(text);
    expect(m?.intent).toBe('update_workflow');
    const parsed = updateWorkflow.input.safeParse(m?.args);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject(expected);
  });
});

describe('rules router: matching phrases (en/th/ar)', () => {
  it.each([
    ['which listings match Faisal?', { lead: 'Faisal' }],
    ['matches for this buyer', { lead: 'this buyer' }],
    ['/match Faisal', { lead: 'Faisal' }],
    ['which buyers match listing RY-014?', { listing: 'RY-014' }],
    ['which buyers match RUH-1003?', { listing: 'RUH-1003' }],
    ['/buyers RUH-1003', { listing: 'RUH-1003' }],
    ['ما العقارات المناسبة لفيصل؟', { lead: 'فيصل' }],
    ['من المشترين المناسبين للعقار RY-014؟', { listing: 'RY-014' }],
    ['ประกาศไหนเหมาะกับนก', { lead: 'นก' }],
  ])('%s', (text, expected) => {
    const m = matchIntent(text);
    expect(m?.intent).toBe('match_listings');
    const parsed = matchListings.input.safeParse(m?.args);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject(expected);
  });

  it('leaves the lookup catch-all its phrases', () => {
    expect(matchIntent('tell me about Nok')?.intent).toBe('lookup_lead');
  });
});

describe('tool schemas', () => {
  it('takes no confirm flag (only a pending confirmation confirms), and limit is a number capped at 20', () => {
    expect('confirm' in updateWorkflow.input.parse({ action: 'note', body: 'x', confirm: 'true' })).toBe(false);
    expect(matchListings.input.parse({ lead: 'Faisal', limit: '50' }).limit).toBe(20);
    expect(matchListings.input.parse({ lead: 'Faisal', limit: '3' }).limit).toBe(3);
    expect(matchListings.input.safeParse({ lead: 'Faisal', limit: '0' }).success).toBe(false);
  });

  it('rejects an unknown action and an overlong note (a button arg holds 500 characters)', () => {
    expect(updateWorkflow.input.safeParse({ action: 'delete' }).success).toBe(false);
    expect(updateWorkflow.input.safeParse({ action: 'note', body: 'x'.repeat(501) }).success).toBe(false);
  });
});
