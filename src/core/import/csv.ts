import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ToolInputError } from '../../errors.ts';

/**
 * The leads CSV format, shared by `closer import leads` and `closer export
 * leads` so an export can be edited and imported back. Headers are
 * case-insensitive; spaces and dashes count as underscores; a few common
 * aliases are understood (mobile → phone, owner → owner_email…).
 *
 * | column | meaning |
 * |---|---|
 * | id | a lead id from an export: the row updates that lead (empty fields only) |
 * | name, or first_name + last_name | required |
 * | phone | any common format; stored as E.164 (national numbers read in the tenant's region) |
 * | email | |
 * | source | where the lead came from (default "import") |
 * | stage | a stage key or its name in any tenant language (default: the first stage) |
 * | owner_email | an active staff member's email |
 * | budget | 15000, 15,000, 15k, 1.5 ล้าน, ٣ مليون |
 * | locale | th, en, ar… |
 * | consent | opted_in / opted_out / unknown (yes/no/true/false/1/0 too) |
 * | notes | stored as a note activity |
 * | concerns | clinic: skin concerns, separated by ; or , (acne; large pores; สิว) |
 * | cities, districts, property_types, price_max, bedrooms_min | realty: the buyer request |
 */

export const IMPORT_COLUMNS = [
  'id', 'name', 'first_name', 'last_name', 'phone', 'email', 'source', 'stage', 'owner_email', 'budget', 'locale', 'consent', 'notes',
  'concerns', 'cities', 'districts', 'property_types', 'price_max', 'bedrooms_min',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** Columns an export writes that an import reads past without complaint. */
export const EXPORT_ONLY_COLUMNS = ['score', 'grade', 'created_at'] as const;

const ALIASES: Record<string, ImportColumn> = {
  full_name: 'name', display_name: 'name', customer: 'name', customer_name: 'name', lead_name: 'name',
  firstname: 'first_name', given_name: 'first_name', lastname: 'last_name', surname: 'last_name', family_name: 'last_name',
  mobile: 'phone', tel: 'phone', telephone: 'phone', phone_number: 'phone', mobile_number: 'phone',
  e_mail: 'email', email_address: 'email', mail: 'email',
  owner: 'owner_email', rep: 'owner_email', rep_email: 'owner_email', assigned_to: 'owner_email',
  stage_key: 'stage', pipeline_stage: 'stage', language: 'locale', note: 'notes', comment: 'notes', comments: 'notes',
  concern: 'concerns', skin_concerns: 'concerns', city: 'cities', district: 'districts', area: 'districts',
  property_type: 'property_types', type: 'property_types', max_price: 'price_max', bedrooms: 'bedrooms_min', min_bedrooms: 'bedrooms_min',
};

export function normaliseHeader(h: string): string {
  return h.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/[\s\-.]+/g, '_');
}

export interface CsvRow {
  /** The line the record starts on in the file (the header is line 1). */
  line: number;
  values: Partial<Record<ImportColumn, string>>;
}

export interface ParsedCsv {
  rows: CsvRow[];
  /** Headers that are neither import columns, aliases nor export-only columns. */
  ignoredColumns: string[];
}

/**
 * Parses a leads CSV (UTF-8, with or without a BOM; comma, semicolon or tab
 * separated). A cell an export protected against formula injection ('=…)
 * is read back without the protecting quote.
 */
export function parseLeadsCsv(input: string | Buffer): ParsedCsv {
  const text = (typeof input === 'string' ? input : input.toString('utf8')).replace(/^\uFEFF/, '');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = [',', ';', '\t'].map((d) => ({ d, n: firstLine.split(d).length })).sort((a, b) => b.n - a.n)[0]!.d;
  let records: string[][];
  let infos: { line: number }[];
  try {
    const parsed = parse(text, { delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
    records = parsed.map((p) => p.record);
    infos = parsed.map((p) => ({ line: p.info.lines }));
  } catch (err) {
    throw new ToolInputError(`The CSV could not be read: ${(err as Error).message}`);
  }
  const header = records[0];
  if (!header) throw new ToolInputError('The CSV is empty: it needs a header row such as "name,phone,email".');
  const mapping = header.map((h) => {
    const n = normaliseHeader(h);
    if ((IMPORT_COLUMNS as readonly string[]).includes(n)) return n as ImportColumn;
    return ALIASES[n];
  });
  const names = new Set(mapping.filter(Boolean));
  if (!names.has('name') && !names.has('first_name')) {
    throw new ToolInputError(`The CSV has no name column: expected "name" or "first_name" (found: ${header.join(', ')}).`);
  }
  const ignoredColumns = header.filter((h, i) => !mapping[i] && !(EXPORT_ONLY_COLUMNS as readonly string[]).includes(normaliseHeader(h)) && h.trim() !== '');
  const rows: CsvRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const record = records[r]!;
    if (record.every((c) => c.trim() === '')) continue;
    const values: CsvRow['values'] = {};
    record.forEach((cell, i) => {
      const col = mapping[i];
      const v = unprotect(cell.trim());
      if (col && v !== '' && values[col] === undefined) values[col] = v;
    });
    rows.push({ line: infos[r]!.line, values });
  }
  return { rows, ignoredColumns };
}

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Neutralises spreadsheet formula injection: a cell starting with = + - @
 * (or a tab/CR) gets a leading apostrophe, so Excel and LibreOffice show it
 * as text instead of evaluating it ("=HYPERLINK(…)" in a lead's name).
 */
export function protectCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

function unprotect(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

/** A CSV with a BOM (so Excel opens Thai and Arabic as UTF-8) and every cell formula-safe. */
export function toCsv(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  return '\uFEFF' + stringify([columns.map(protectCell), ...rows.map((r) => r.map(protectCell))], { record_delimiter: '\r\n' });
}

/** Splits a multi-value cell: "acne; large pores", "Al Malqa, Al Yasmin", "villa|duplex". */
export function splitList(cell: string | undefined): string[] {
  return (cell ?? '').split(/[;,|،、]/).map((s) => s.trim()).filter(Boolean);
}
