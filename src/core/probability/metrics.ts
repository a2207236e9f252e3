/** Mean squared error of probabilities against 0/1 outcomes: 0 is perfect, 0.25 is a coin toss. */
export function brierScore(p: number[], y: number[]): number {
  if (p.length === 0) return NaN;
  return p.reduce((s, pi, i) => s + (pi - y[i]!) ** 2, 0) / p.length;
}

/**
 * Area under the ROC curve: the chance a random won lead gets a higher
 * probability than a random lost one (ties count half). NaN with one class.
 */
export function rocAuc(p: number[], y: number[]): number {
  const idx = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]!);
  let pos = 0;
  let neg = 0;
  for (const v of y) v === 1 ? pos++ : neg++;
  if (pos === 0 || neg === 0) return NaN;
  // Mann-Whitney U from average ranks (ties get the mean rank).
  let rankSumPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && p[idx[j + 1]!] === p[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[idx[k]!] === 1) rankSumPos += rank;
    i = j + 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** A stable 0..1 number from a string (FNV-1a): a deterministic train/test split by lead id. */
export function stableFraction(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV alone leaves the top bits poorly mixed for ids that differ only at the end: finish with murmur3's fmix32.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}
