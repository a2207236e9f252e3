import type { Sql } from '../../db/database.ts';
import { checkText, checkWords, emailCandidates, nameCandidates, phoneWindows } from './normalise.ts';

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

/**
 * Checks one reply part against the tenant's data through indexes
 * (db/migrations/0041_reply_check_index.sql): phones by the last nine digits
 * of any digit run, emails (also spelled out), names in either order, and
 * notes by overlapping chunks, all after the normalisation in normalise.ts.
 */
export async function checkCustomerReply(sql: Sql, ownLeadId: string, text: string): Promise<ReplyVerdict> {
  const reasons: string[] = [];
  const windows = phoneWindows(text);
  if (windows.length) {
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM leads WHERE tenant_id = closer_current_tenant() AND id <> $1 AND phone IS NOT NULL
         AND right(regexp_replace(phone, '\\D', '', 'g'), 9) = ANY($2::text[])`,
      [ownLeadId, windows],
    );
    if (rows[0]!.n > 0) reasons.push('another lead\'s phone number');
  }
  const emails = emailCandidates(text);
  if (emails.length) {
    const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM leads WHERE tenant_id = closer_current_tenant() AND id <> $1 AND email IS NOT NULL AND lower(email) = ANY($2::text[])`, [ownLeadId, emails]);
    if (rows[0]!.n > 0) reasons.push('another lead\'s email');
  }
  if (await leaksName(sql, ownLeadId, text)) reasons.push('another lead\'s name');
  if (internalLanguage(text.normalize('NFKC').replace(/[\u00AD\u200B-\u200F\u2060\uFEFF]/g, ''))) reasons.push('internal scoring or notes');
  if (await leaksNote(sql, text)) reasons.push('an internal note');
  return { ok: reasons.length === 0, reasons };
}

/**
 * Another lead's full name, in either order: the display name as a whole, or
 * first and last name both present. Candidates come from indexed name words;
 * names shorter than 6 characters (4 with a space) are skipped, as are the
 * customer's own names and staff names (see README: short nicknames are a
 * known limit).
 */
async function leaksName(sql: Sql, ownLeadId: string, text: string): Promise<boolean> {
  const cands = nameCandidates(text);
  if (!cands.length) return false;
  const { rows } = await sql.query<{ display_name: string; first_name: string | null; last_name: string | null }>(
    `SELECT display_name, first_name, last_name FROM leads
     WHERE tenant_id = closer_current_tenant() AND id <> $1
       AND (lower(first_name) = ANY($2::text[]) OR lower(last_name) = ANY($2::text[]) OR split_part(lower(display_name), ' ', 1) = ANY($2::text[]))
     LIMIT 500`,
    [ownLeadId, cands],
  );
  if (!rows.length) return false;
  const own = (await sql.query<{ d: string; f: string | null; l: string | null }>(`SELECT display_name AS d, first_name AS f, last_name AS l FROM leads WHERE id = $1`, [ownLeadId])).rows[0];
  const staff = new Set((await sql.query<{ s: string }>(`SELECT name AS s FROM staff_users`)).rows.map((r) => checkText(r.s)));
  const ownNames = new Set([own?.d, [own?.f, own?.l].filter(Boolean).join(' '), [own?.l, own?.f].filter(Boolean).join(' ')].filter((x): x is string => Boolean(x)).map(checkText));
  const words = new Set(checkWords(text));
  const joined = checkWords(text).join('');
  const long = (n: string) => n.replace(/ /g, '').length >= 6 || (n.includes(' ') && n.replace(/ /g, '').length >= 4);
  for (const r of rows) {
    const display = checkText(r.display_name);
    const first = r.first_name ? checkText(r.first_name) : '';
    const last = r.last_name ? checkText(r.last_name) : '';
    const full = [first, last].filter(Boolean).join(' ');
    if (ownNames.has(display) || ownNames.has(full) || staff.has(display) || staff.has(full)) continue;
    if (long(display) && joined.includes(display.replace(/ /g, ''))) return true;
    // Either order, anywhere in the reply: "Chaiyaporn, Somjai" is the same leak as "Somjai Chaiyaporn".
    if (first && last && long(full)) {
      const has = (part: string) => words.has(part) || joined.includes(part.replace(/ /g, ''));
      if (has(first) && has(last)) return true;
    }
  }
  return false;
}

/** An internal note: reply chunks (same function as the index) matching chunks of one note worth 20 characters or more. */
async function leaksNote(sql: Sql, text: string): Promise<boolean> {
  const { rows } = await sql.query<{ chars: number }>(
    `SELECT sum(char_length(n.chunk))::int AS chars FROM note_chunks n
     WHERE n.tenant_id = closer_current_tenant() AND n.chunk = ANY(closer_note_chunks($1))
     GROUP BY n.activity_id ORDER BY 1 DESC LIMIT 1`,
    [text],
  );
  return (rows[0]?.chars ?? 0) >= 20;
}
