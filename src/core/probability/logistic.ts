/**
 * L2-regularised logistic regression fitted by IRLS (Newton's method) on
 * standardised features. Deterministic: no random initialisation, no
 * sampling; the same rows give the same coefficients. Missing values (NaN)
 * are imputed with the training mean, i.e. 0 after standardising, so
 * "unknown" pulls a prediction neither way.
 */
export interface LogisticModel {
  features: string[];
  means: number[];
  scales: number[];
  intercept: number;
  coefficients: number[];
  iterations: number;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function fitLogistic(features: string[], X: number[][], y: number[], opts: { lambda?: number; maxIter?: number } = {}): LogisticModel {
  if (X.length !== y.length) throw new RangeError('fitLogistic: X and y differ in length');
  if (X.length === 0) throw new RangeError('fitLogistic: no rows');
  const k = features.length;
  const lambda = opts.lambda ?? 1;
  const means: number[] = [];
  const scales: number[] = [];
  for (let j = 0; j < k; j++) {
    const col = X.map((r) => r[j]!).filter((v) => Number.isFinite(v));
    const mean = col.length ? col.reduce((a, b) => a + b, 0) / col.length : 0;
    const sd = col.length ? Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length) : 0;
    means.push(mean);
    // A constant column carries no information: scale 1 keeps it at 0 instead of dividing by zero.
    scales.push(sd > 1e-9 ? sd : 1);
  }
  const Z = X.map((r) => [1, ...standardise(r, means, scales)]);
  const beta = new Array<number>(k + 1).fill(0);
  let iterations = 0;
  for (; iterations < (opts.maxIter ?? 50); iterations++) {
    const H = Array.from({ length: k + 1 }, () => new Array<number>(k + 1).fill(0));
    const g = new Array<number>(k + 1).fill(0);
    for (let i = 0; i < Z.length; i++) {
      const z = Z[i]!;
      const p = sigmoid(dot(beta, z));
      const w = Math.max(p * (1 - p), 1e-10);
      const r = y[i]! - p;
      for (let a = 0; a <= k; a++) {
        g[a]! += z[a]! * r;
        for (let b = 0; b <= a; b++) H[a]![b]! += w * z[a]! * z[b]!;
      }
    }
    for (let a = 0; a <= k; a++) for (let b = 0; b < a; b++) H[b]![a] = H[a]![b]!;
    // The intercept is not penalised: only the feature weights shrink.
    for (let a = 1; a <= k; a++) {
      H[a]![a]! += lambda;
      g[a]! -= lambda * beta[a]!;
    }
    const step = solve(H, g);
    let change = 0;
    for (let a = 0; a <= k; a++) {
      beta[a]! += step[a]!;
      change = Math.max(change, Math.abs(step[a]!));
    }
    if (change < 1e-8) {
      iterations++;
      break;
    }
  }
  return { features, means, scales, intercept: beta[0]!, coefficients: beta.slice(1), iterations };
}

export function standardise(row: number[], means: number[], scales: number[]): number[] {
  return row.map((v, j) => (Number.isFinite(v) ? (v - means[j]!) / scales[j]! : 0));
}

/** The probability and each feature's push on the log-odds (coefficient × standardised value). */
export function predictLogistic(m: LogisticModel, row: number[]): { p: number; contributions: number[] } {
  const z = standardise(row, m.means, m.scales);
  const contributions = z.map((v, j) => v * m.coefficients[j]!);
  return { p: sigmoid(m.intercept + contributions.reduce((a, b) => a + b, 0)), contributions };
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Gaussian elimination with partial pivoting; H is small (features + 1). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[pivot]![c]!)) pivot = r;
    [M[c], M[pivot]] = [M[pivot]!, M[c]!];
    const d = M[c]![c]!;
    if (Math.abs(d) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / d;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((row, i) => (Math.abs(row[i]!) < 1e-12 ? 0 : row[n]! / row[i]!));
}
