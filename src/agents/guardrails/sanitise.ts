/**
 * What a customer-facing model may read of a tool's result. Customer tools
 * are already scoped to the customer's own lead; this is the second wall: a
 * generic pass that drops every field that is internal by nature (scores,
 * grades, notes, owners, probabilities, other leads) whatever tool produced
 * it, so a new tool cannot leak by forgetting a field.
 */
const INTERNAL_KEY = /^(score|scores|score_factors|factors|grade|grades|probability|probabilities|win_probability|notes?|internal.*|owner.*|assignee.*|staff.*|rep|reps|audit.*|candidates|leads|other_leads|lead_ids?|similar.*|summary_internal|playbook.*|coach.*|signals?|margin.*|cost.*|commission.*)$/i;

const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;
const PHONE = /\+?\d[\d\s().-]{7,}\d/g;

export interface CustomerSelf {
  leadId: string;
  phone?: string | null | undefined;
  email?: string | null | undefined;
}

function digits(s: string): string {
  return s.replace(/\D/g, '');
}

function scrubString(s: string, self: CustomerSelf): string {
  const ownPhone = self.phone ? digits(self.phone) : undefined;
  const ownEmail = self.email?.toLowerCase();
  return s
    .replace(EMAIL, (m) => (ownEmail && m.toLowerCase() === ownEmail ? m : '[redacted]'))
    .replace(PHONE, (m) => {
      const d = digits(m);
      // Prices and dates are digits too: only phone-length runs are treated as numbers to hide.
      if (d.length < 9 || d.length > 15) return m;
      // Last nine digits: "081-234-5678" and "+66812345678" are the same number (as in output-check.ts).
      return ownPhone && ownPhone.length >= 9 && d.slice(-9) === ownPhone.slice(-9) ? m : '[redacted]';
    });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A deep copy of `value` with internal fields removed and foreign contact details redacted. */
export function sanitiseForCustomer(value: unknown, self: CustomerSelf, depth = 0): unknown {
  if (depth > 8) return undefined;
  // Ids are not contact details (and their digit runs look like phone numbers).
  if (typeof value === 'string') return UUID.test(value) ? value : scrubString(value, self);
  if (Array.isArray(value)) return value.map((v) => sanitiseForCustomer(v, self, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (INTERNAL_KEY.test(k)) continue;
      // Another lead's record (by id) is never the customer's business.
      if ((k === 'lead_id' || k === 'leadId') && typeof v === 'string' && v !== self.leadId) continue;
      out[k] = sanitiseForCustomer(v, self, depth + 1);
    }
    return out;
  }
  return value;
}
