/** Runs `fn` until `seconds` have passed (at least `minCalls` times) and returns the calls per second. */
export async function callsPerSecond(fn: () => Promise<unknown>, seconds: number, minCalls = 3): Promise<{ calls: number; elapsed: number; perSecond: number }> {
  const started = performance.now();
  const budget = seconds * 1000;
  let calls = 0;
  while (calls < minCalls || performance.now() - started < budget) {
    await fn();
    calls++;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { calls, elapsed, perSecond: calls / elapsed };
}

/** Deterministic values in [0, 1): windows as the scaler would hand them to the model. */
export function seededWindows(n: number, size: number, seed = 1): Float32Array {
  const out = new Float32Array(n * size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 4294967296;
  }
  return out;
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1));
  return sorted[i];
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}
