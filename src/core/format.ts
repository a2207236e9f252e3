/** Locale-aware formatting for replies: amounts in the tenant's currency, dates in a timezone. */

const LOCALE_TAGS: Record<string, string> = { th: 'th-TH', ar: 'ar-SA', en: 'en-GB' };

function tag(locale: string): string {
  return LOCALE_TAGS[locale] ?? 'en-GB';
}

export function formatMoney(amount: number | string | null | undefined, currency: string, locale: string): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  const n = typeof amount === 'number' ? amount : Number(amount);
  if (!Number.isFinite(n)) return '—';
  return new Intl.NumberFormat(tag(locale), { style: 'currency', currency, maximumFractionDigits: 0 }).format(n);
}

export function formatDateTime(d: Date | string | null | undefined, timeZone: string, locale: string): string {
  if (!d) return '—';
  const date = typeof d === 'string' ? new Date(d) : d;
  return new Intl.DateTimeFormat(tag(locale), { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(date);
}

export function formatDate(d: Date | string | null | undefined, timeZone: string, locale: string): string {
  if (!d) return '—';
  const date = typeof d === 'string' ? new Date(d) : d;
  return new Intl.DateTimeFormat(tag(locale), { dateStyle: 'medium', timeZone }).format(date);
}

/** Collapses whitespace and lower-cases: the form names and locations are compared in. */
export function normaliseText(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
}
