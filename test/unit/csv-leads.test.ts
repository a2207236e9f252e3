import { describe, expect, it } from 'vitest';
import { parseLeadsCsv, protectCell, toCsv } from '../../src/core/import/csv.ts';

describe('leads CSV parsing', () => {
  it('reads a BOM, Thai and Arabic text, case-insensitive headers and aliases, with file line numbers', () => {
    const csv = '\uFEFFName,Mobile,E-Mail,Owner,Unknown Col\r\nนก ศรีสุข,081 234 5678,NOK@example.com,ploy@demo-clinic.example,x\r\n\r\n"فيصل, العتيبي",0501234567,,,\r\n';
    const r = parseLeadsCsv(csv);
    expect(r.ignoredColumns).toEqual(['Unknown Col']);
    expect(r.rows).toEqual([
      { line: 2, values: { name: 'นก ศรีสุข', phone: '081 234 5678', email: 'NOK@example.com', owner_email: 'ploy@demo-clinic.example' } },
      { line: 4, values: { name: 'فيصل, العتيبي', phone: '0501234567' } },
    ]);
  });

  it('reads semicolon-separated files and reads exported formula-safe cells back', () => {
    const r = parseLeadsCsv("first_name;last_name;phone\nSomjai;Chaiyaporn;'+66891234567\n");
    expect(r.rows[0]!.values).toEqual({ first_name: 'Somjai', last_name: 'Chaiyaporn', phone: '+66891234567' });
  });

  it('needs a name column', () => {
    expect(() => parseLeadsCsv('phone,email\n0812345678,a@b.co\n')).toThrow(/name/);
  });

  it('neutralises formula injection on export', () => {
    expect(protectCell('=HYPERLINK("http://x","y")')).toBe('\'=HYPERLINK("http://x","y")');
    expect(protectCell('+66812345678')).toBe("'+66812345678");
    expect(protectCell('-1')).toBe("'-1");
    expect(protectCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(protectCell('Nok')).toBe('Nok');
    const out = toCsv(['name', 'phone'], [['=1+1', '+66812345678']]);
    expect(out.startsWith('\uFEFF')).toBe(true);
    expect(out).toContain(`'=1+1,'+66812345678`);
    // And it survives a round trip.
    expect(parseLeadsCsv(out).rows[0]!.values).toEqual({ name: '=1+1', phone: '+66812345678' });
  });
});
