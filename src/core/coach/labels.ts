import type { Translate } from '../../agents/i18n.ts';
import { formatMoney } from '../format.ts';
import { localized } from '../playbooks.ts';
import type { ItemRef } from '../objections/tailor.ts';

/**
 * Small renderers shared by the coaching tools' replies: concern names,
 * catalogue items with prices, weekdays, all in the reply's language.
 */
export interface LabelContext {
  t: Translate;
  locale: string;
  /** Reply language first, then the tenant's default, then English. */
  prefs: string[];
  currency: string;
}

export function labelContext(t: Translate, locale: string, tenant: { defaultLocale: string; currency: string }): LabelContext {
  return { t, locale, prefs: [...new Set([locale, tenant.defaultLocale, 'en'])], currency: tenant.currency };
}

export function listJoin(items: string[], locale: string): string {
  return new Intl.ListFormat(locale === 'th' ? 'th-TH' : locale === 'ar' ? 'ar-SA' : 'en-GB', { style: 'long', type: 'conjunction' }).format(items);
}

export function concernList(concerns: readonly string[], lc: LabelContext): string {
  return listJoin(concerns.map((c) => lc.t(`coaching.concern.${c}`, { defaultValue: c.replace(/_/g, ' ') })), lc.locale);
}

export function money(amount: number, lc: LabelContext): string {
  return formatMoney(amount, lc.currency, lc.locale);
}

export function itemName(item: Pick<ItemRef, 'names' | 'sku'>, lc: LabelContext): string {
  return localized(item.names, lc.prefs, item.sku);
}

export function itemWithPrice(item: ItemRef, lc: LabelContext): string {
  return `${itemName(item, lc)} (${money(item.price, lc)})`;
}

/** A weekday name for a YYYY-MM-DD local date. */
export function weekdayName(date: string, locale: string): string {
  const tag = locale === 'th' ? 'th-TH' : locale === 'ar' ? 'ar-SA' : 'en-GB';
  return new Intl.DateTimeFormat(tag, { weekday: 'long', timeZone: 'UTC' }).format(new Date(`${date}T12:00:00Z`));
}

export function percent(x: number): number {
  return Math.round(x * 100);
}
