const GAPS = 5;
// Offsets of the gaps held, the next slot, the last timestamp and the median in a cadence's entries.
const COUNT = GAPS;
const NEXT = GAPS + 1;
const LAST_TS = GAPS + 2;
const MEDIAN = GAPS + 3;

/**
 * A stream's cadence (the usual time between its events): the median of its last few gaps, so a
 * silence or a burst of retries moves it only once it has become the stream's new habit.
 *
 * The state is CadenceTracker.WIDTH entries of a row of numbers (see LevelTracker): the last GAPS
 * gaps as a ring, the gaps held (up to GAPS), the ring slot the next one goes to, the last
 * timestamp (NaN: none yet) and the median (NaN: fewer than two gaps), worked out once per gap
 * instead of once per read.
 */
export class CadenceTracker {
  static readonly WIDTH = GAPS + 4;

  constructor(
    private row: Float64Array = CadenceTracker.cleared(new Float64Array(CadenceTracker.WIDTH), 0),
    private at = 0,
  ) {}

  /** Sets `row`'s entries from `at` to a cadence that has seen nothing. */
  static cleared(row: Float64Array, at: number): Float64Array {
    row.fill(0, at, at + GAPS + 2);
    row[at + LAST_TS] = NaN;
    row[at + MEDIAN] = NaN;
    return row;
  }

  /** Points the tracker at the cadence in `row` from `at`. */
  over(row: Float64Array, at: number): this {
    this.row = row;
    this.at = at;
    return this;
  }

  /** Median of the last gaps, once two gaps were seen. */
  get cadenceMs(): number | undefined {
    const median = this.row[this.at + MEDIAN];
    return Number.isNaN(median) ? undefined : median;
  }

  /** The last timestamp observed. */
  get lastTs(): number | undefined {
    const lastTs = this.row[this.at + LAST_TS];
    return Number.isNaN(lastTs) ? undefined : lastTs;
  }

  observe(ts: number): void {
    const { row, at } = this;
    const lastTs = row[at + LAST_TS];
    if (!Number.isNaN(lastTs) && ts > lastTs) this.addGap(ts - lastTs);
    row[at + LAST_TS] = ts;
  }

  private addGap(gap: number): void {
    const { row, at } = this;
    const next = row[at + NEXT];
    row[at + next] = gap;
    row[at + NEXT] = (next + 1) % GAPS;
    const count = Math.min(GAPS, row[at + COUNT] + 1);
    row[at + COUNT] = count;
    row[at + MEDIAN] = count < 2 ? NaN : medianOf(row, at, count);
  }

  snapshot(): { gaps: number[]; lastTs: number } {
    return { gaps: this.held(), lastTs: this.row[this.at + LAST_TS] };
  }

  /** Takes over a `snapshot`. */
  load(s: { gaps: number[]; lastTs: number }): this {
    CadenceTracker.cleared(this.row, this.at);
    for (const gap of s.gaps.slice(-GAPS)) this.addGap(gap);
    this.row[this.at + LAST_TS] = s.lastTs;
    return this;
  }

  static restore(s: { gaps: number[]; lastTs: number }): CadenceTracker {
    return new CadenceTracker().load(s);
  }

  /** The held gaps, oldest first. */
  private held(): number[] {
    const { row, at } = this;
    const count = row[at + COUNT];
    const start = count < GAPS ? 0 : row[at + NEXT];
    const gaps = new Array<number>(count);
    for (let i = 0; i < count; i++) gaps[i] = row[at + ((start + i) % GAPS)];
    return gaps;
  }
}

/** The upper median of the first `count` gaps from `at` (their order does not matter); sorted in a scratch array, so an event allocates nothing. */
function medianOf(values: Float64Array, at: number, count: number): number {
  for (let i = 0; i < count; i++) {
    const v = values[at + i];
    let j = i;
    for (; j > 0 && SCRATCH[j - 1] > v; j--) SCRATCH[j] = SCRATCH[j - 1];
    SCRATCH[j] = v;
  }
  return SCRATCH[count >> 1];
}

const SCRATCH = new Float64Array(GAPS);
