import { describe, expect, it } from 'vitest';
import { matchIntent } from '../../src/agents/rules/patterns.ts';

describe('customer phrases in rules mode (en/th/ar)', () => {
  it.each([
    ['how much is the acne laser?', 'answer_question', { question: 'how much is the acne laser?' }],
    ['ราคาเลเซอร์รักษาสิวเท่าไหร่คะ', 'answer_question', { question: 'ราคาเลเซอร์รักษาสิวเท่าไหร่คะ' }],
    ['كم سعر الفيلا في الملقا؟', 'answer_question', { question: 'كم سعر الفيلا في الملقا؟' }],
    ['what time do you open?', 'answer_question', { question: 'what time do you open?' }],
    ['เปิดกี่โมง', 'answer_question', { question: 'เปิดกี่โมง' }],
    ['متى تفتحون؟', 'answer_question', { question: 'متى تفتحون؟' }],
    ['where is the clinic?', 'answer_question', { question: 'where is the clinic?' }],
    ['ผ่อนได้ไหมคะ', 'answer_question', { question: 'ผ่อนได้ไหมคะ' }],
    ['وين مكتبكم', 'answer_question', { question: 'وين مكتبكم' }],
    ['book a consultation on Saturday', 'book_appointment', { when: 'on Saturday' }],
    ['จองปรึกษาวันเสาร์', 'book_appointment', { when: 'วันเสาร์' }],
    ['ขอจองคิวปรึกษาคุณหมอวันเสาร์ได้ไหมคะ', 'book_appointment', { when: 'วันเสาร์' }],
    ['أريد حجز موعد للمعاينة', 'book_appointment', { when: '' }],
    ['احجز لي موعد يوم السبت', 'book_appointment', { when: 'يوم السبت' }],
    ['call me back', 'request_callback', {}],
    ['call me tomorrow at 3pm', 'request_callback', { when: 'tomorrow at 3pm' }],
    ['call me on 081 234 5678', 'request_callback', { phone: '081 234 5678' }],
    ['โทรกลับพรุ่งนี้บ่ายสองนะคะ', 'request_callback', { when: 'พรุ่งนี้บ่ายสอง' }],
    ['اتصل بي بكرة', 'request_callback', { when: 'بكرة' }],
    ['I want to talk to a person', 'talk_to_human', {}],
    ['ขอคุยกับพนักงาน', 'talk_to_human', {}],
    ['أريد التحدث مع موظف', 'talk_to_human', {}],
    ['STOP', 'set_consent', { consent: 'STOP' }],
    ['unsubscribe', 'set_consent', { consent: 'unsubscribe' }],
    ['ไม่สนใจแล้ว ไม่ต้องส่งมาอีก', 'set_consent', { consent: 'ไม่สนใจแล้ว ไม่ต้องส่งมาอีก' }],
    ['ไม่ต้องส่งมาอีก', 'set_consent', { consent: 'ไม่ต้องส่งมาอีก' }],
    ['إلغاء الاشتراك', 'set_consent', { consent: 'إلغاء الاشتراك' }],
    ['توقف', 'set_consent', { consent: 'توقف' }],
    ['لا ترسل لي', 'set_consent', { consent: 'لا ترسل لي' }],
    ['subscribe again', 'set_consent', { consent: 'subscribe again' }],
    ['أريد فيلا 4 غرف في شمال الرياض بحدود 3 مليون ريال', 'update_my_needs', { text: 'أريد فيلا 4 غرف في شمال الرياض بحدود 3 مليون ريال' }],
    ["I'm looking for a 4 bedroom villa in Al Malqa", 'update_my_needs', { text: "I'm looking for a 4 bedroom villa in Al Malqa" }],
    ['my budget is 15k', 'update_my_needs', { text: 'my budget is 15k' }],
    ['งบ 15000 ค่ะ', 'update_my_needs', { text: 'งบ 15000 ค่ะ' }],
  ])('%s → %s', (text, intent, args) => {
    expect(matchIntent(text)).toEqual(expect.objectContaining({ intent, args }));
  });

  it('leaves staff phrases to the staff tools', () => {
    expect(matchIntent('tell me about Somjai')?.intent).toBe('lookup_lead');
    expect(matchIntent('how much revenue did we make this month?')?.intent).not.toBe('answer_question');
    expect(matchIntent('book a consultation for Nok on Saturday')?.intent).not.toBe('book_appointment');
  });
});
