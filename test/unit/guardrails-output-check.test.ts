import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { checkCustomerReply, emailsIn, foldDigits, internalLanguage, phoneTails } from '../../src/agents/guardrails/output-check.ts';
import { createTestDatabase } from '../helpers/db.ts';

let db: Database;
let clinicId: string;
let somjai: string;
let nok: string;
let note: string;

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  clinicId = (await db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
  const ids = await withTenant(db, clinicId, async (sql) => ({
    somjai: (await sql.query<{ id: string }>(`SELECT id FROM leads WHERE display_name = 'Somjai Chaiyaporn'`)).rows[0]!.id,
    nok: (await sql.query<{ id: string }>(`SELECT id FROM leads WHERE display_name = 'นก'`)).rows[0]!.id,
    note: (await sql.query<{ body: string }>(`SELECT body FROM activities WHERE kind = 'note' AND char_length(body) >= 40 ORDER BY id LIMIT 1`)).rows[0]?.body,
  }));
  somjai = ids.somjai;
  nok = ids.nok;
  note = ids.note ?? '';
});
afterAll(async () => {
  await db.close();
});

const check = (own: string, text: string) => withTenant(db, clinicId, (sql) => checkCustomerReply(sql, own, text));

describe('customer reply check: pure helpers', () => {
  it('folds Thai and Arabic-Indic digits and finds phone tails in any format', () => {
    expect(foldDigits('๐๘๑ ٠١٢ ۳۴۵')).toBe('081 012 345');
    expect(phoneTails('call +66 81 234 5678 or 081-234-5678')).toEqual(['812345678']);
    expect(phoneTails('15,000 THB')).toEqual([]);
    // A date is a candidate tail too; it only blocks if it equals a stored phone (see the DB test below).
    expect(phoneTails('on 2026-11-21')).toEqual(['20261121']);
    expect(emailsIn('A@B.co and a@b.co')).toEqual(['a@b.co']);
    expect(internalLanguage('your lead score is high')).toBeDefined();
    expect(internalLanguage('คะแนนลีดของคุณ')).toBeDefined();
    expect(internalLanguage('ملاحظات داخلية')).toBeDefined();
    expect(internalLanguage('Your booking is confirmed for Saturday')).toBeUndefined();
  });
});

describe('customer reply check against the tenant data', () => {
  it('passes an ordinary reply', async () => {
    expect(await check(nok, 'The acne laser course is 15,000 THB for 5 sessions. Would 2026-11-21 at 14:00 suit you?')).toEqual({ ok: true, reasons: [] });
  });

  it("blocks another lead's phone in any format, Thai digits included, but not the customer's own", async () => {
    expect((await check(somjai, 'Her number is 081-234-5678')).reasons).toContain("another lead's phone number");
    expect((await check(somjai, 'เบอร์ ๐๘๑๒๓๔๕๖๗๘ ค่ะ')).reasons).toContain("another lead's phone number");
    expect((await check(nok, 'We will call you on 081 234 5678')).ok).toBe(true);
  });

  it("blocks another lead's email and full name, not the customer's own name", async () => {
    expect((await check(nok, 'write to SOMJAI.C@example.com')).reasons).toContain("another lead's email");
    expect((await check(nok, 'Somjai Chaiyaporn booked the same course')).reasons).toContain("another lead's name");
    expect((await check(nok, 'คุณสมใจ ชัยพร ก็จองคอร์สนี้')).reasons).toContain("another lead's name");
    expect((await check(somjai, 'Hello Somjai Chaiyaporn, see you Saturday')).ok).toBe(true);
  });

  it('does NOT catch a two-letter Thai nickname of another lead (documented limit)', async () => {
    // "นก" is also the word "bird"; short names are skipped because blocking every ordinary word
    // that is someone's nickname would block normal replies. The structural guards (customer-only
    // tools, sanitised tool output) are what keep Nok's record away from Somjai's model.
    expect(await check(somjai, 'คุณนกก็ทำเลเซอร์สิวที่นี่ค่ะ')).toEqual({ ok: true, reasons: [] });
  });

  it('blocks internal scoring language and internal notes', async () => {
    expect((await check(nok, 'Your lead score is 78, grade A')).reasons).toContain('internal scoring or notes');
    if (!note) throw new Error('the seed has no staff note to test with');
    expect((await check(nok, `FYI: ${note}`)).reasons).toContain('an internal note');
  });
});
