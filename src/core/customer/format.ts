import type { Translate } from '../../agents/i18n.ts';
import type { OutboundPart } from '../messages/types.ts';
import type { Tenant } from '../tenants.ts';

/** Reply helpers shared by the customer tools. */

const LOCALE_TAGS: Record<string, string> = { th: 'th-TH', ar: 'ar-SA', en: 'en-GB' };

/** An amount with the currency's everyday symbol (฿12,900), which is what customers expect to read. */
export function money(amount: number, currency: string, locale: string): string {
  return new Intl.NumberFormat(LOCALE_TAGS[locale] ?? 'en-GB', { style: 'currency', currency, currencyDisplay: 'narrowSymbol', maximumFractionDigits: 0 }).format(amount);
}

export function localName(names: Record<string, string>, locale: string, fallback: string): string {
  return names[locale] ?? names[fallback] ?? names.en ?? Object.values(names)[0] ?? '';
}

export function concernList(concerns: readonly string[], t: Translate): string {
  return concerns.map((c) => t(`customer.concern.${c}`, { defaultValue: c.replace(/_/g, ' ') })).join(', ');
}

/** What a visit is called at this tenant: a consultation at a clinic, a viewing at an agency. */
export function visitKey(tenant: Tenant): 'clinic' | 'realty' | 'generic' {
  return tenant.vertical;
}

/** The two quick replies after an answer: book, or a person. */
export function nextStepButtons(tenant: Tenant, t: Translate, note?: string): OutboundPart {
  return {
    type: 'buttons',
    buttons: [
      { label: t(`customer.button_book.${visitKey(tenant)}`), payload: { action: 'book_appointment', args: note ? { note: note.slice(0, 200) } : {} }, style: 'primary' },
      { label: t('customer.button_staff'), payload: { action: 'talk_to_human', args: {} }, style: 'default' },
    ],
  };
}
