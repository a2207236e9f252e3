import { describe, expect, it } from 'vitest';
import { estimateCostUsd, monthOf, monthRange, monthlyBudgetUsd } from '../../src/core/usage.ts';
import type { Tenant } from '../../src/core/tenants.ts';

describe('LLM cost estimates', () => {
  it('prices a listed model per million input and output tokens', () => {
    // gemini-2.5-flash: $0.30 in, $2.50 out per million.
    expect(estimateCostUsd('gemini-2.5-flash', 1_000_000, 0)).toBeCloseTo(0.3, 10);
    expect(estimateCostUsd('gemini-2.5-flash', 2000, 100)).toBeCloseTo((2000 * 0.3 + 100 * 2.5) / 1e6, 12);
    expect(estimateCostUsd('gpt-4o-mini', 10_000, 1_000)).toBeCloseTo((10_000 * 0.15 + 1_000 * 0.6) / 1e6, 12);
  });

  it('matches a versioned name by the longest listed prefix', () => {
    // "gemini-2.5-flash-lite-001" must price as -lite, not as the plain flash it also starts with.
    expect(estimateCostUsd('gemini-2.5-flash-lite-001', 1e6, 1e6)).toBeCloseTo(0.1 + 0.4, 10);
    expect(estimateCostUsd('gemini-2.5-flash-001', 1e6, 0)).toBeCloseTo(0.3, 10);
    expect(estimateCostUsd('gpt-4o-2024-08-06', 1e6, 0)).toBeCloseTo(2.5, 10);
  });

  it('prices unknown (self-hosted) models and zero tokens at nothing', () => {
    expect(estimateCostUsd('qwen2.5:7b-instruct', 1e6, 1e6)).toBe(0);
    expect(estimateCostUsd('gpt-4o', 0, 0)).toBe(0);
  });
});

describe('usage months and budgets', () => {
  it('uses UTC calendar months', () => {
    expect(monthRange('2026-11')).toEqual({ start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') });
    expect(monthRange('2026-12').end).toEqual(new Date('2027-01-01T00:00:00Z'));
    // 06:30 in Bangkok on Dec 1 is still November in UTC.
    expect(monthOf(new Date('2026-11-30T23:30:00Z'))).toBe('2026-11');
    expect(() => monthRange('2026-13')).toThrow(RangeError);
    expect(() => monthRange('11-2026')).toThrow(RangeError);
  });

  it("prefers the tenant's own budget over the deployment default, and ignores a nonsense one", () => {
    const t = (settings: Record<string, unknown>) => ({ settings }) as unknown as Tenant;
    expect(monthlyBudgetUsd(t({ llm_monthly_budget_usd: 5 }), 50)).toBe(5);
    expect(monthlyBudgetUsd(t({ llm_monthly_budget_usd: 0 }), 50)).toBe(0);
    expect(monthlyBudgetUsd(t({}), 50)).toBe(50);
    expect(monthlyBudgetUsd(t({ llm_monthly_budget_usd: -1 }), undefined)).toBeUndefined();
    expect(monthlyBudgetUsd(t({ llm_monthly_budget_usd: '5' }), 7)).toBe(7);
  });
});
