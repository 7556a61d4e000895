/** Rolling statistics over the last N values, each O(1) amortised per value. */

/** A snapshot taken under another scoring configuration; the stream starts afresh instead. */
export class StateShapeError extends Error {}

export interface RollingSumSnapshot {
  ring: number[];
  next: number;
  count: number;
  sum: number;
  sumSq: number;
}

export interface RollingMaxSnapshot {
  values: number[];
  positions: number[];
  position: number;
}

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

  /** Sums are kept as they are (not re-added from the ring) so a restored stream scores bit for bit alike. */
  snapshot(): RollingSumSnapshot {
    return { ring: Array.from(this.ring.subarray(0, this.count)), next: this.next, count: this.count, sum: this.sum, sumSq: this.sumSq };
  }

  restore(snap: RollingSumSnapshot): void {
    if (snap.ring.length > this.size) throw new StateShapeError(`a rolling window of ${snap.ring.length} does not fit ${this.size}`);
    this.ring.fill(0);
    this.ring.set(snap.ring);
    this.next = snap.next;
    this.count = snap.count;
    this.sum = snap.sum;
    this.sumSq = snap.sumSq;
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

  snapshot(): RollingMaxSnapshot {
    return { values: [...this.values], positions: [...this.positions], position: this.position };
  }

  restore(snap: RollingMaxSnapshot): void {
    this.values.splice(0, Infinity, ...snap.values);
    this.positions.splice(0, Infinity, ...snap.positions);
    this.position = snap.position;
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

