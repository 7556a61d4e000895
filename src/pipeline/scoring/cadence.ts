/**
 * A stream's cadence (the usual time between its events): the median of its last few gaps, so a
 * silence or a burst of retries moves it only once it has become the stream's new habit.
 */
export class CadenceTracker {
  private readonly gaps: number[] = [];
  private lastTs = NaN;

  /** Median of the last gaps, once two gaps were seen. */
  get cadenceMs(): number | undefined {
    if (this.gaps.length < 2) return undefined;
    const sorted = [...this.gaps].sort((a, b) => a - b);
    return sorted[sorted.length >> 1];
  }

  observe(ts: number): void {
    if (!Number.isNaN(this.lastTs) && ts > this.lastTs) {
      this.gaps.push(ts - this.lastTs);
      if (this.gaps.length > GAPS) this.gaps.shift();
    }
    this.lastTs = ts;
  }

  snapshot(): { gaps: number[]; lastTs: number } {
    return { gaps: [...this.gaps], lastTs: this.lastTs };
  }

  static restore(s: { gaps: number[]; lastTs: number }): CadenceTracker {
    const t = new CadenceTracker();
    t.gaps.push(...s.gaps);
    t.lastTs = s.lastTs;
    return t;
  }
}

const GAPS = 5;
