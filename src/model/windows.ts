/**
 * Sliding windows with stride 1 over row-major [rows][features] values:
 * returns [rows - seqStep + 1][seqStep][features], window i covering rows i .. i + seqStep - 1.
 */
export function slidingWindows(values: Float32Array, rows: number, features: number, seqStep: number): Float32Array {
  const count = rows - seqStep + 1;
  if (count <= 0) return new Float32Array(0);
  const per = seqStep * features;
  const out = new Float32Array(count * per);
  for (let w = 0; w < count; w++) out.set(values.subarray(w * features, w * features + per), w * per);
  return out;
}

/** Mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of 0..n-1 with the given random source. */
export function permutation(n: number, random: () => number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
