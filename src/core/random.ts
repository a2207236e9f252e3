/**
 * A small seeded PRNG for demo data and tests: the same seed gives the same
 * sequence on every machine and Node version (Math.random cannot be seeded).
 *
 * The generator is sfc32 (128-bit state). A 32-bit-state generator such as
 * mulberry32 would be too small: a UUID drawn from it is fixed by the state
 * it starts from, so a million UUIDs would collide by the birthday bound.
 */
export interface Rng {
  /** The seed this stream was created from (fork() derives from it). */
  readonly seed: string;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** A float in [min, max). */
  float(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** Picks a value with probability proportional to its weight (weights ≥ 0, at least one > 0). */
  weighted<T>(pairs: ReadonlyArray<readonly [T, number]>): T;
  chance(p: number): boolean;
  /** A shuffled copy (Fisher–Yates); the input is left alone. */
  shuffle<T>(items: readonly T[]): T[];
  /** `k` distinct items in random order (all of them when k ≥ length). */
  sample<T>(items: readonly T[], k: number): T[];
  /** A version-4-shaped UUID drawn from this stream. */
  uuid(): string;
  /** An independent stream seeded from this one's seed and `label`, so adding draws to one stream does not shift another. */
  fork(label: string): Rng;
}

/** Four 32-bit words from a string (cyrb128), used to seed sfc32. */
function seedWords(seed: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < seed.length; i++) {
    const k = seed.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function createRng(seed: string | number): Rng {
  const seedText = String(seed);
  let [a, b, c, d] = seedWords(seedText);

  const u32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The first outputs of sfc32 still echo the seed words; discard them.
  for (let i = 0; i < 15; i++) u32();

  const next = (): number => u32() / 4294967296;

  const rng: Rng = {
    seed: seedText,
    next,
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
        throw new RangeError(`int(${min}, ${max}): need integers with min ≤ max`);
      }
      return min + Math.floor(next() * (max - min + 1));
    },
    float(min, max) {
      return min + next() * (max - min);
    },
    pick(items) {
      if (items.length === 0) throw new RangeError('pick() from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    weighted(pairs) {
      let total = 0;
      for (const [, w] of pairs) {
        if (!(w >= 0)) throw new RangeError(`weighted(): negative or NaN weight ${w}`);
        total += w;
      }
      if (total <= 0) throw new RangeError('weighted(): no positive weight');
      let r = next() * total;
      for (const [value, w] of pairs) {
        if (r < w) return value;
        r -= w;
      }
      // Floating-point rounding can leave r a hair above zero: the last positive pair wins.
      for (let i = pairs.length - 1; i >= 0; i--) {
        const pair = pairs[i];
        if (pair && pair[1] > 0) return pair[0];
      }
      throw new RangeError('weighted(): unreachable');
    },
    chance(p) {
      return next() < p;
    },
    shuffle(items) {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = out[i] as (typeof out)[number];
        out[i] = out[j] as (typeof out)[number];
        out[j] = tmp;
      }
      return out;
    },
    sample(items, k) {
      return rng.shuffle(items).slice(0, Math.max(0, k));
    },
    uuid() {
      const w = [u32(), u32(), u32(), u32()];
      const bytes: number[] = [];
      for (const x of w) bytes.push(x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
      bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
      bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
      const h = bytes.map((x) => HEX[x]).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    fork(label) {
      return createRng(`${seedText}/${label}`);
    },
  };
  return rng;
}
