import { describe, expect, it } from 'vitest';
import { fitLogistic, predictLogistic, sigmoid } from '../../src/core/probability/logistic.ts';
import { brierScore, rocAuc, stableFraction } from '../../src/core/probability/metrics.ts';
import { createRng } from '../../src/core/random.ts';

/** A deterministic data set where feature 0 drives the outcome, feature 1 is noise and feature 2 is sometimes unknown. */
function dataset(n: number, seed: string) {
  const rng = createRng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.float(-3, 3);
    const noise = rng.float(-1, 1);
    const c = rng.chance(0.3) ? NaN : rng.float(0, 1);
    X.push([a, noise, c]);
    y.push(rng.next() < sigmoid(1.5 * a) ? 1 : 0);
  }
  return { X, y };
}

describe('logistic regression (IRLS, L2)', () => {
  it('learns the direction and rough size of a real effect, and ignores noise', () => {
    const { X, y } = dataset(2000, 'fit');
    const m = fitLogistic(['a', 'noise', 'c'], X, y);
    // Coefficients are per standard deviation: a has sd ≈ √3, so 1.5 per unit ≈ 2.6 per sd.
    expect(m.coefficients[0]).toBeGreaterThan(2);
    expect(m.coefficients[0]).toBeLessThan(3.2);
    expect(Math.abs(m.coefficients[1]!)).toBeLessThan(0.2);
    expect(m.iterations).toBeLessThan(50);
    expect(predictLogistic(m, [2, 0, 0.5]).p).toBeGreaterThan(0.9);
    expect(predictLogistic(m, [-2, 0, 0.5]).p).toBeLessThan(0.1);
  });

  it('is deterministic and treats unknown values as the training mean (no push either way)', () => {
    const { X, y } = dataset(500, 'det');
    const a = fitLogistic(['a', 'noise', 'c'], X, y);
    const b = fitLogistic(['a', 'noise', 'c'], X, y);
    expect(a).toEqual(b);
    const { contributions } = predictLogistic(a, [1, 0, NaN]);
    expect(Math.abs(contributions[2]!)).toBe(0);
  });

  it('stays finite on perfectly separable data thanks to the L2 penalty, and on a constant column', () => {
    const X = Array.from({ length: 60 }, (_, i) => [i < 30 ? -1 - i / 30 : 1 + i / 30, 7]);
    const y = X.map((r) => (r[0]! > 0 ? 1 : 0));
    const m = fitLogistic(['x', 'const'], X, y);
    expect(Number.isFinite(m.coefficients[0])).toBe(true);
    expect(m.coefficients[1]).toBeCloseTo(0, 6);
    expect(predictLogistic(m, [2, 7]).p).toBeGreaterThan(0.9);
  });

  it('refuses empty or misaligned input', () => {
    expect(() => fitLogistic(['x'], [], [])).toThrow(RangeError);
    expect(() => fitLogistic(['x'], [[1]], [1, 0])).toThrow(RangeError);
  });
});

describe('calibration metrics', () => {
  it('computes Brier and AUC (ties count half; one class has no AUC)', () => {
    expect(brierScore([1, 0], [1, 0])).toBe(0);
    expect(brierScore([0.5, 0.5], [1, 0])).toBe(0.25);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    expect(rocAuc([0.3, 0.7, 0.7], [0, 1, 0])).toBe(0.75);
    expect(rocAuc([0.3, 0.7], [1, 1])).toBeNaN();
  });

  it('splits by id deterministically into roughly 20%', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const share = ids.filter((id) => stableFraction(id) < 0.2).length / ids.length;
    expect(share).toBeGreaterThan(0.17);
    expect(share).toBeLessThan(0.23);
    expect(stableFraction(ids[7]!)).toBe(stableFraction(ids[7]!));
  });
});
