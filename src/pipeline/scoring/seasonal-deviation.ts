import { StateShapeError } from './rolling.js';

/**
 * |x − median of the values 1…`seasons` periods earlier|, over as many seasons as have been seen;
 * null until one full period has been seen.
 */
export class SeasonalDeviation {
  private readonly ring: Float64Array;
  private count = 0;
  private readonly previous: number[] = [];

  constructor(
    private readonly period: number,
    private readonly seasons: number,
  ) {
    this.ring = new Float64Array(period * seasons);
  }

  snapshot(): { ring: number[]; count: number } {
    return { ring: Array.from(this.ring.subarray(0, Math.min(this.count, this.ring.length))), count: this.count };
  }

  restore(snap: { ring: number[]; count: number }): void {
    if (snap.ring.length > this.ring.length) throw new StateShapeError(`a seasonal ring of ${snap.ring.length} does not fit ${this.ring.length}`);
    this.ring.fill(0);
    this.ring.set(snap.ring);
    this.count = snap.count;
  }

  next(x: number): number | null {
    const size = this.ring.length;
    this.previous.length = 0;
    for (let k = 1; k <= this.seasons && k * this.period <= this.count; k++) {
      this.previous.push(this.ring[(this.count - k * this.period) % size]);
    }
    this.ring[this.count % size] = x;
    this.count++;
    if (this.previous.length === 0) return null;
    return Math.abs(x - median(this.previous));
  }
}

function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const h = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[h] : (xs[h - 1] + xs[h]) / 2;
}

