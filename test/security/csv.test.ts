import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { toCsv } from '../../src/core/bi/answer.ts';
import type { MetricResult } from '../../src/core/bi/execute.ts';

/** Low item: BI CSV cells are formula-protected (a lead source or name is outside data, e.g. a Telegram deep link). */
describe('BI CSV export', () => {
  it('a dimension value that looks like a formula is written as text', () => {
    const result = {
      query: { metric: 'leads_created', dimensions: ['source'], filters: [] },
      rows: [
        { keys: ['=HYPERLINK("http://evil.example","click")'], labels: ['x'], value: 3 },
        { keys: ['-2+3'], labels: ['y'], value: 1 },
        { keys: ['line'], labels: ['line'], value: 2 },
      ],
      total: 6,
    } as unknown as MetricResult;
    const rows = parse(toCsv(result)) as string[][];
    expect(rows[1]![0]).toBe('\'=HYPERLINK("http://evil.example","click")');
    expect(rows[2]![0]).toBe("'-2+3");
    expect(rows[3]).toEqual(['line', '2']);
  });
});
