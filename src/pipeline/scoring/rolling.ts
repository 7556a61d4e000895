/** Rolling statistics over the last N values, each O(1) amortised per value. */

/** Sliding sum over the last `size` values, with a ring buffer. */
export class RollingSum {
  private readonly ring: Float64Array;
  private next = 0;
  count = 0;
  sum = 0;
  sumSq = 0;

  constructor(readonly size: number) {
    this.ring = new Float64Array(size);
  }

  push(x: number): void {
    if (this.count === this.size) {
      const old = this.ring[this.next];
      this.sum -= old;
      this.sumSq -= old * old;
    } else this.count++;
    this.ring[this.next] = x;
    this.next = (this.next + 1) % this.size;
    this.sum += x;
    this.sumSq += x * x;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  get std(): number {
    if (this.count === 0) return 0;
    const m = this.mean;
    return Math.sqrt(Math.max(0, this.sumSq / this.count - m * m));
  }
}

/** Sliding maximum over the last `size` values (monotonic deque). */
export class RollingMax {
  private readonly values: number[] = [];
  private readonly positions: number[] = [];
  private position = 0;

  constructor(private readonly size: number) {}

  /** Maximum of the values pushed within the last `size` pushes (-Infinity when none). */
  get max(): number {
    return this.values.length ? this.values[0] : -Infinity;
  }

  push(x: number): void {
    while (this.values.length && this.values[this.values.length - 1] <= x) {
      this.values.pop();
      this.positions.pop();
    }
    this.values.push(x);
    this.positions.push(this.position);
    this.position++;
    while (this.positions[0] <= this.position - 1 - this.size) {
      this.values.shift();
      this.positions.shift();
    }
  }
}

