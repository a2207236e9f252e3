import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { Tenant } from '../tenants.ts';
import { normaliseDigits } from '../customer/numbers.ts';

/**
 * Phone numbers in one form (E.164) so the same person typed as
 * "081-234-5678", "+66 81 234 5678" or "٠٨١٢٣٤٥٦٧٨" is one lead. National
 * numbers need a default region: the tenant's `default_region` setting, or
 * one derived from its currency and time zone.
 */

const REGION_BY_CURRENCY: Record<string, CountryCode> = {
  THB: 'TH', SAR: 'SA', AED: 'AE', QAR: 'QA', KWD: 'KW', BHD: 'BH', OMR: 'OM', EGP: 'EG', JOD: 'JO',
  SGD: 'SG', MYR: 'MY', IDR: 'ID', PHP: 'PH', VND: 'VN', JPY: 'JP', KRW: 'KR', GBP: 'GB', INR: 'IN',
};
const REGION_BY_TIMEZONE: Record<string, CountryCode> = {
  'Asia/Bangkok': 'TH', 'Asia/Riyadh': 'SA', 'Asia/Dubai': 'AE', 'Asia/Qatar': 'QA', 'Asia/Kuwait': 'KW',
  'Asia/Singapore': 'SG', 'Asia/Kuala_Lumpur': 'MY', 'Asia/Jakarta': 'ID', 'Asia/Manila': 'PH', 'Asia/Tokyo': 'JP', 'Europe/London': 'GB',
};

/** The region national numbers are read in for this tenant, or undefined (then only +… numbers are understood). */
export function tenantRegion(tenant: Pick<Tenant, 'currency' | 'timezone' | 'settings'>): CountryCode | undefined {
  const setting = (tenant.settings as { default_region?: unknown }).default_region;
  if (typeof setting === 'string' && /^[A-Z]{2}$/.test(setting.toUpperCase())) return setting.toUpperCase() as CountryCode;
  return REGION_BY_TIMEZONE[tenant.timezone] ?? REGION_BY_CURRENCY[tenant.currency];
}

/**
 * E.164 for a number people typed, or undefined when it is not a valid
 * phone number. "00" international prefixes and Thai/Arabic digits are accepted.
 */
export function normalisePhone(raw: string, region: CountryCode | undefined): string | undefined {
  const text = normaliseDigits(raw).trim().replace(/^00(?=[1-9])/, '+');
  if (!/\d/.test(text) || text.replace(/\D/g, '').length < 6) return undefined;
  const parsed = parsePhoneNumberFromString(text, region ? { defaultCountry: region } : undefined);
  if (!parsed || !parsed.isValid()) return undefined;
  return parsed.number;
}

/** Lower-cased, trimmed email, or undefined when it does not look like one. */
export function normaliseEmail(raw: string | null | undefined): string | undefined {
  const e = (raw ?? '').normalize('NFKC').trim().toLowerCase();
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e) ? e : undefined;
}
