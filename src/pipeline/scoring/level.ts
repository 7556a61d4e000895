/**
 * A stream's level: the geometric mean of its recent values, as an exponential moving average of
 * log values over about a day of events. Each update is clipped (to half a decade) so one flood or
 * one zero moves it little, and a floor of 1 % of the level keeps zeros finite.
 *
 * The state is LevelTracker.WIDTH entries of a row of numbers: the log mean (NaN: no value yet) and
 * the values folded in. A tracker of its own holds its row; the pipeline keeps every stream's in the
 * stream's record and points one tracker at it (`over`), so a stream costs no object of its own.
 */
export class LevelTracker {
  static readonly WIDTH = 2;

  constructor(
    private row: Float64Array = LevelTracker.cleared(new Float64Array(LevelTracker.WIDTH), 0),
    private at = 0,
  ) {}

  /** Sets `row`'s entries from `at` to a level that has seen nothing. */
  static cleared(row: Float64Array, at: number): Float64Array {
    row[at] = NaN;
    row[at + 1] = 0;
    return row;
  }

  /** Points the tracker at the level in `row` from `at`. */
  over(row: Float64Array, at: number): this {
    this.row = row;
    this.at = at;
    return this;
  }

  /** Whether at least a day of events (or `eventsPerDay` of them) is behind the level. */
  established(eventsPerDay: number | undefined): boolean {
    return eventsPerDay !== undefined && this.row[this.at + 1] >= eventsPerDay;
  }

  get level(): number | undefined {
    const logMean = this.row[this.at];
    return Number.isNaN(logMean) ? undefined : Math.exp(logMean);
  }

  /** Folds in the next value; `eventsPerDay` (from the cadence) sets the memory, else a plain mean of what was seen. */
  observe(value: number, eventsPerDay: number | undefined): void {
    const { row, at } = this;
    const count = ++row[at + 1];
    const logMean = row[at];
    if (Number.isNaN(logMean)) {
      row[at] = Math.log(Math.max(value, Number.MIN_VALUE));
      return;
    }
    const floor = 0.01 * Math.exp(logMean);
    const step = Math.log(Math.max(value, floor)) - logMean;
    const rate = 1 / Math.min(count, Math.max(1, eventsPerDay ?? count));
    row[at] = logMean + rate * Math.max(-MAX_STEP, Math.min(MAX_STEP, step));
  }

  snapshot(): { logMean: number; count: number } {
    return { logMean: this.row[this.at], count: this.row[this.at + 1] };
  }

  /** Takes over a `snapshot`. */
  load(s: { logMean: number; count: number }): this {
    this.row[this.at] = s.logMean;
    this.row[this.at + 1] = s.count;
    return this;
  }

  static restore(s: { logMean: number; count: number }): LevelTracker {
    return new LevelTracker().load(s);
  }
}

const MAX_STEP = Math.log(Math.sqrt(10));
