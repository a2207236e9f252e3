import { describe, expect, it } from 'vitest';
import { pickTemplate, renderTemplate, templateVariables } from '../../src/core/templates.ts';
import { stepDueTimes } from '../../src/core/followups/rules.ts';

describe('renderTemplate', () => {
  it('fills every slot', () => {
    expect(renderTemplate('Hi {{first_name}}, {{ clinic_name }} here', { first_name: 'Nok', clinic_name: 'Siam Glow' })).toEqual({ ok: true, text: 'Hi Nok, Siam Glow here' });
  });

  it('refuses to render when a variable is missing, empty or blank, naming each once', () => {
    expect(renderTemplate('{{first_name}} {{treatment}} {{treatment}} {{listing_title}}', { first_name: 'Nok', treatment: '  ', listing_title: null })).toEqual({
      ok: false,
      missing: ['treatment', 'listing_title'],
    });
  });

  it('keeps Thai and Arabic text around the slots intact', () => {
    const th = renderTemplate('สวัสดีค่ะคุณ{{first_name}}', { first_name: 'นก' });
    const ar = renderTemplate('مرحباً {{first_name}}،', { first_name: 'فيصل' });
    expect(th).toEqual({ ok: true, text: 'สวัสดีค่ะคุณนก' });
    expect(ar).toEqual({ ok: true, text: 'مرحباً فيصل،' });
  });

  it('renders numbers and lists the variables a template uses', () => {
    expect(renderTemplate('{{price}} SAR', { price: 0 })).toEqual({ ok: true, text: '0 SAR' });
    expect(templateVariables('{{a}} {{b}} {{a}}')).toEqual(['a', 'b']);
  });
});

describe('pickTemplate', () => {
  it('prefers the lead locale, then the fallbacks, then any template', () => {
    const t = { th: 'ไทย', en: 'English' };
    expect(pickTemplate(t, ['th', 'en'])?.locale).toBe('th');
    expect(pickTemplate(t, ['ar', 'en'])?.locale).toBe('en');
    expect(pickTemplate({ ar: 'عربي' }, ['en', null])?.template).toBe('عربي');
    expect(pickTemplate({}, ['en'])).toBeUndefined();
  });
});

describe('stepDueTimes', () => {
  it('counts delays from the trigger and never lets a step overtake the previous one', () => {
    const at = new Date('2026-11-20T10:00:00Z');
    const dues = stepDueTimes({ steps: [{ delay_minutes: 60 }, { delay_minutes: 30 }, { delay_minutes: 2880 }] as never }, at);
    expect(dues.map((d) => d.toISOString())).toEqual(['2026-11-20T11:00:00.000Z', '2026-11-20T11:00:00.000Z', '2026-11-22T10:00:00.000Z']);
  });
});
