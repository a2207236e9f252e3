import type { Sql } from '../../db/database.ts';

/**
 * The last wall before a reply reaches a customer: whatever the model was
 * told or tricked into, the text must not carry another lead's phone, email
 * or name, an internal note, or internal scoring language. It checks against
 * the tenant's own data (RLS-scoped `sql`), so it catches real leaks rather
 * than anything that merely looks like a phone number.
 */
export interface ReplyVerdict {
  ok: boolean;
  reasons: string[];
}

const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;
// Runs of digits with the separators people put in phone numbers; Thai and Arabic-Indic digits are folded to ASCII first.
const PHONE = /\+?\d[\d\s().-]{6,}\d/g;
const INTERNAL = [
  /\b(lead|deal|win|close|closing)[ -]?(score|grade|probability)\b/i,
  /\bgrade\s*[ABCD]\b/,
  /\binternal notes?\b/i,
  /\b(score_factors|owner_id|lead_id)\b/i,
  /คะแนน(ลีด|ลูกค้า)|เกรดลูกค้า|โน้ตภายใน|บันทึกภายใน/,
  /(تقييم|درجة|نقاط)\s*(العميل|الصفقة)|ملاحظات\s*داخلية|احتمال\s*الإغلاق/,
];

export function foldDigits(s: string): string {
  return s
    .replace(/[\u0E50-\u0E59]/g, (c) => String(c.charCodeAt(0) - 0x0e50))
    .replace(/[\u0660-\u0669]/g, (c) => String(c.charCodeAt(0) - 0x0660))
    .replace(/[\u06F0-\u06F9]/g, (c) => String(c.charCodeAt(0) - 0x06f0));
}

/** Last nine digits of each phone-like run: national numbers and +country forms of one number share them. */
export function phoneTails(text: string): string[] {
  const tails = new Set<string>();
  for (const m of foldDigits(text).matchAll(PHONE)) {
    const d = m[0].replace(/\D/g, '');
    if (d.length >= 8 && d.length <= 15) tails.add(d.slice(-Math.min(9, d.length)));
  }
  return [...tails];
}

export function emailsIn(text: string): string[] {
  return [...new Set([...text.matchAll(EMAIL)].map((m) => m[0].toLowerCase()))];
}

export function internalLanguage(text: string): string | undefined {
  return INTERNAL.find((re) => re.test(text))?.source;
}

export async function checkCustomerReply(sql: Sql, ownLeadId: string, text: string): Promise<ReplyVerdict> {
  const reasons: string[] = [];
  const tails = phoneTails(text);
  if (tails.length) {
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM leads WHERE id <> $1 AND phone IS NOT NULL AND right(regexp_replace(phone, '\\D', '', 'g'), 9) = ANY($2::text[])`,
      [ownLeadId, tails.map((t) => t.slice(-9))],
    );
    if (rows[0]!.n > 0) reasons.push('another lead\'s phone number');
  }
  const emails = emailsIn(text);
  if (emails.length) {
    const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM leads WHERE id <> $1 AND lower(email) = ANY($2::text[])`, [ownLeadId, emails]);
    if (rows[0]!.n > 0) reasons.push('another lead\'s email');
  }
  // Full names only (display name, or first + last): first names alone collide with staff names and ordinary words.
  // Names shorter than four characters are skipped for the same reason. A name the customer shares is not a leak.
  const lowered = text.normalize('NFKC').toLowerCase();
  const { rows: names } = await sql.query<{ name: string }>(
    `SELECT DISTINCT lower(x.name) AS name FROM leads l
       CROSS JOIN LATERAL (VALUES (l.display_name), (l.first_name || coalesce(' ' || l.last_name, ''))) AS x(name)
     WHERE l.id <> $1 AND (char_length(x.name) >= 6 OR (char_length(x.name) >= 4 AND position(' ' in x.name) > 0))
       AND position(lower(x.name) in $2) > 0`,
    [ownLeadId, lowered],
  );
  const own = (await sql.query<{ d: string; f: string }>(`SELECT lower(display_name) AS d, lower(first_name || coalesce(' ' || last_name, '')) AS f FROM leads WHERE id = $1`, [ownLeadId])).rows[0];
  const staff = new Set((await sql.query<{ s: string }>(`SELECT lower(name) AS s FROM staff_users`)).rows.map((r) => r.s));
  const leaked = names.map((r) => r.name.toLowerCase()).filter((n) => n !== own?.d && n !== own?.f && !staff.has(n));
  if (leaked.length) reasons.push('another lead\'s name');
  if (internalLanguage(text)) reasons.push('internal scoring or notes');
  const { rows: notes } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM activities WHERE kind = 'note' AND char_length(body) >= 24 AND position(left(body, 40) in $1) > 0`,
    [text],
  );
  if (notes[0]!.n > 0) reasons.push('an internal note');
  return { ok: reasons.length === 0, reasons };
}
