import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkTransition, resolveStage, type Stage } from '../../src/core/workflow/stages.ts';
import { actionFromVerb, taskKindOf } from '../../src/core/workflow/actions.ts';

type PackStage = { key: string; names: Record<string, string>; position: number; is_won: boolean; is_lost: boolean; allowed_next: string[] };
function packStages(file: string): Stage[] {
  const pack = JSON.parse(fs.readFileSync(new URL(`../../db/seeds/${file}`, import.meta.url), 'utf8')) as { stages: PackStage[] };
  return pack.stages.map((s) => ({ key: s.key, names: s.names, position: s.position, isWon: s.is_won, isLost: s.is_lost, allowedNext: s.allowed_next }));
}
const clinic = packStages('clinic.json');
const realty = packStages('realty.json');

describe('resolveStage', () => {
  it.each([
    [clinic, 'negotiation', 'negotiation'],
    [clinic, 'Negotiation', 'negotiation'],
    [clinic, 'the negotiation stage', 'negotiation'],
    [clinic, 'consultation_booked', 'consultation_booked'],
    [clinic, 'consultation booked', 'consultation_booked'],
    [clinic, 'ต่อรอง', 'negotiation'],
    [clinic, 'ขั้นต่อรอง', 'negotiation'],
    [clinic, 'เสนอแผนการรักษา', 'proposal'],
    [clinic, 'nego', 'negotiation'],
    [realty, 'التفاوض', 'negotiation'],
    [realty, 'مرحلة التفاوض', 'negotiation'],
    [realty, 'تفاوض', 'negotiation'],
    [realty, 'معاينة', 'viewing'],
    [realty, 'لم تتم', 'lost'],
    [realty, 'offer', 'offer'],
  ])('%#: "%s" → %s', (stages, text, key) => {
    expect(resolveStage(stages as Stage[], text as string)?.key).toBe(key);
  });

  it('does not guess between stages or invent one', () => {
    expect(resolveStage(clinic, 'consultation')).toBeUndefined();
    expect(resolveStage(clinic, 'banana')).toBeUndefined();
    expect(resolveStage(clinic, '')).toBeUndefined();
  });
});

describe('checkTransition: the pipeline policy as the packs define it', () => {
  it('lets forward moves skip stages', () => {
    expect(checkTransition(clinic, 'contacted', 'negotiation', 'rep')).toEqual({ ok: true });
    expect(checkTransition(clinic, 'new', 'won', 'rep')).toEqual({ ok: true });
    expect(checkTransition(realty, 'new', 'negotiation', 'rep')).toEqual({ ok: true });
  });

  it('reaches lost from every open stage', () => {
    for (const stages of [clinic, realty]) {
      for (const s of stages.filter((x) => !x.isWon && !x.isLost)) expect(checkTransition(stages, s.key, 'lost', 'rep')).toEqual({ ok: true });
    }
  });

  it('refuses a backward move the pack does not list, and lists the allowed ones', () => {
    const r = checkTransition(clinic, 'proposal', 'contacted', 'rep');
    expect(r).toMatchObject({ ok: false, reason: 'not_allowed' });
    if (r.ok) return;
    expect(r.allowed.map((s) => s.key)).toEqual(['negotiation', 'won', 'lost']);
  });

  it('keeps won and lost final for reps; a manager may reopen to an open stage, never won ↔ lost', () => {
    expect(checkTransition(clinic, 'won', 'proposal', 'rep')).toMatchObject({ ok: false, reason: 'final_needs_manager', allowed: [] });
    expect(checkTransition(clinic, 'lost', 'contacted', 'rep')).toMatchObject({ ok: false, reason: 'final_needs_manager' });
    expect(checkTransition(clinic, 'lost', 'contacted', 'manager')).toEqual({ ok: true });
    expect(checkTransition(realty, 'won', 'negotiation', 'admin')).toEqual({ ok: true });
    expect(checkTransition(clinic, 'won', 'lost', 'manager')).toMatchObject({ ok: false, reason: 'not_allowed' });
    expect(checkTransition(clinic, 'lost', 'won', 'manager')).toMatchObject({ ok: false, reason: 'not_allowed' });
  });

  it('refuses a move to the stage the lead is already in', () => {
    expect(checkTransition(clinic, 'contacted', 'contacted', 'rep')).toMatchObject({ ok: false, reason: 'same' });
  });
});

describe('action verbs and task kinds', () => {
  it.each([
    ['move', 'stage'],
    ['/stage', 'stage'],
    ['ย้าย', 'stage'],
    ['انقل', 'stage'],
    ['add a note', 'note'],
    ['บันทึกโน้ต', 'note'],
    ['أضف ملاحظة', 'note'],
    ['remind', 'task'],
    ['log a call', 'call'],
    ['บันทึกการโทร', 'call'],
    ['log a meeting', 'meeting'],
    ['assign', 'assign'],
    ['أسند', 'assign'],
    ['follow up', 'followup'],
    ['Follow-Up', 'followup'],
    ['ติดตามผล', 'followup'],
    ['تابع', 'followup'],
    ['followup', 'followup'],
  ])('%s → %s', (verb, action) => {
    expect(actionFromVerb(verb)).toBe(action);
  });

  it('knows no verb it was not given', () => {
    expect(actionFromVerb('delete')).toBeUndefined();
  });

  it('reads the kind of task from its title', () => {
    expect(taskKindOf('call Faisal')).toBe('call');
    expect(taskKindOf('โทรหานก')).toBe('call');
    expect(taskKindOf('بالاتصال بفيصل')).toBe('call');
    expect(taskKindOf('meet Nok at the clinic')).toBe('meeting');
    expect(taskKindOf('send the price list')).toBe('todo');
  });
});
