/**
 * Range of every value seen so far, per feature, and whether a new value leaves it by more than
 * `tolerance` × its width.
 */
export class ValueRange {
  private low: Float64Array | null = null;
  private high: Float64Array | null = null;

  constructor(private readonly tolerance: number) {}

  snapshot(): { low: number[]; high: number[] } | null {
    return this.low === null || this.high === null ? null : { low: Array.from(this.low), high: Array.from(this.high) };
  }

  restore(snap: { low: number[]; high: number[] } | null): void {
    this.low = snap === null ? null : Float64Array.from(snap.low);
    this.high = snap === null ? null : Float64Array.from(snap.high);
  }

  /** True when any feature of `values` lies outside the range so far (widened); then adds `values` to the range. */
  observe(values: ArrayLike<number>): boolean {
    if (this.low === null || this.high === null || this.low.length !== values.length) {
      this.low = Float64Array.from(values);
      this.high = Float64Array.from(values);
      return false;
    }
    let outside = false;
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      const margin = this.tolerance * (this.high[j] - this.low[j]);
      if (v > this.high[j] + margin || v < this.low[j] - margin) outside = true;
      if (v < this.low[j]) this.low[j] = v;
      if (v > this.high[j]) this.high[j] = v;
    }
    return outside;
  }
}

