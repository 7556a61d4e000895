/**
 * A stream's cadence (the usual time between its events): the median of its last few gaps, so a
 * silence or a burst of retries moves it only once it has become the stream's new habit.
 */
export class CadenceTracker {
  /** The last gaps, as a ring of exactly GAPS slots: an array grown by push reserves 16. */
  private readonly gaps: number[] = new Array<number>(GAPS).fill(0);
  /** Gaps held (up to GAPS) and the slot the next one goes to. */
  private count = 0;
  private next = 0;
  private lastTs = NaN;
  /** The median, worked out once per gap instead of once per read. */
  private median: number | undefined = undefined;

  /** Median of the last gaps, once two gaps were seen. */
  get cadenceMs(): number | undefined {
    return this.median;
  }

  observe(ts: number): void {
    if (!Number.isNaN(this.lastTs) && ts > this.lastTs) {
      this.gaps[this.next] = ts - this.lastTs;
      this.next = (this.next + 1) % GAPS;
      if (this.count < GAPS) this.count++;
      this.median = this.count < 2 ? undefined : medianOf(this.gaps, this.count);
    }
    this.lastTs = ts;
  }

  snapshot(): { gaps: number[]; lastTs: number } {
    return { gaps: this.held(), lastTs: this.lastTs };
  }

  static restore(s: { gaps: number[]; lastTs: number }): CadenceTracker {
    const t = new CadenceTracker();
    for (const gap of s.gaps.slice(-GAPS)) {
      t.gaps[t.next] = gap;
      t.next = (t.next + 1) % GAPS;
      t.count++;
    }
    t.median = t.count < 2 ? undefined : medianOf(t.gaps, t.count);
    t.lastTs = s.lastTs;
    return t;
  }

  /** The held gaps, oldest first. */
  private held(): number[] {
    const start = this.count < GAPS ? 0 : this.next;
    return Array.from({ length: this.count }, (_, i) => this.gaps[(start + i) % GAPS]);
  }
}

const GAPS = 5;

/** The upper median of the first `count` values (their order does not matter); sorted in a scratch array, so an event allocates nothing. */
function medianOf(values: readonly number[], count: number): number {
  for (let i = 0; i < count; i++) {
    const v = values[i];
    let j = i;
    for (; j > 0 && SCRATCH[j - 1] > v; j--) SCRATCH[j] = SCRATCH[j - 1];
    SCRATCH[j] = v;
  }
  return SCRATCH[count >> 1];
}

const SCRATCH = new Array<number>(GAPS).fill(0);
