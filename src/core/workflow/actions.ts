import { foldScript } from './time-vocab.ts';

export const WORKFLOW_ACTIONS = ['stage', 'note', 'task', 'call', 'meeting', 'assign', 'followup'] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

/**
 * The verbs people use for each action. Phrase patterns capture the verb as
 * the `action` argument (a regex group cannot hold a constant), so the verb
 * list lives here once instead of one pattern per verb and action.
 */
const VERBS: Record<WorkflowAction, string[]> = {
  stage: ['move', 'moved', 'put', 'set', 'set stage', 'change stage', 'ย้าย', 'เลื่อน', 'เปลี่ยนสถานะ', 'เปลี่ยนขั้น', 'انقل', 'نقل', 'حرك', 'غير مرحله'],
  note: ['add a note', 'add note', 'note', 'notes', 'บันทึกโน้ต', 'จดโน้ต', 'เพิ่มโน้ต', 'โน้ต', 'ใส่โน้ต', 'اضف ملاحظه', 'ملاحظه', 'سجل ملاحظه'],
  task: ['remind', 'reminder', 'todo', 'add a task', 'add task', 'เตือน', 'สร้างงาน', 'ذكرني', 'مهمه', 'اضف مهمه'],
  call: ['log a call', 'log call', 'logged a call', 'called', 'บันทึกการโทร', 'โทรคุย', 'سجل مكالمه', 'اتصلت'],
  meeting: ['log a meeting', 'log meeting', 'logged a meeting', 'met', 'บันทึกการประชุม', 'บันทึกการนัดพบ', 'سجل اجتماع', 'سجل لقاء', 'قابلت'],
  assign: ['assign', 'reassign', 'give', 'hand', 'take', 'claim', 'มอบหมาย', 'โอน', 'ส่งต่อ', 'รับ', 'عين', 'اسند', 'حول'],
  followup: ['follow up', 'follow-up', 'followup', 'f/u', 'ติดตาม', 'ติดตามผล', 'تابع', 'تواصل', 'متابعه'],
};

const LOOKUP = new Map<string, WorkflowAction>();
for (const action of WORKFLOW_ACTIONS) {
  LOOKUP.set(action, action);
  for (const verb of VERBS[action]) LOOKUP.set(foldScript(verb), action);
}

/** The action a verb (or an action name) stands for, e.g. "move" → stage, "ติดตาม" → followup. */
export function actionFromVerb(word: string): WorkflowAction | undefined {
  return LOOKUP.get(foldScript(word).replace(/^\//, '').replace(/\s+/g, ' '));
}

/** The kind of task a title describes, for the tasks table ("call Faisal" is a call). */
export function taskKindOf(title: string): 'call' | 'meeting' | 'followup' | 'todo' {
  const t = foldScript(title);
  if (/^(?:call|phone|ring)\b|^โทร|اتصل|بالاتصال|الاتصال/.test(t)) return 'call';
  if (/^(?:meet|visit|see)\b|^(?:ประชุม|นัด|พบ)|اجتماع|قابل|زياره|معاينه/.test(t)) return 'meeting';
  if (/^follow/.test(t) || /^ติดตาม|متابعه|تابع/.test(t)) return 'followup';
  return 'todo';
}
