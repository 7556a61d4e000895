/**
 * A stream's level: the geometric mean of its recent values, as an exponential moving average of
 * log values over about a day of events. Each update is clipped (to half a decade) so one flood or
 * one zero moves it little, and a floor of 1 % of the level keeps zeros finite.
 */
export class LevelTracker {
  private logMean = NaN;
  private count = 0;

  get level(): number | undefined {
    return Number.isNaN(this.logMean) ? undefined : Math.exp(this.logMean);
  }

  /** Folds in the next value; `eventsPerDay` (from the cadence) sets the memory, else a plain mean of what was seen. */
  observe(value: number, eventsPerDay: number | undefined): void {
    this.count++;
    if (Number.isNaN(this.logMean)) {
      this.logMean = Math.log(Math.max(value, Number.MIN_VALUE));
      return;
    }
    const floor = 0.01 * Math.exp(this.logMean);
    const step = Math.log(Math.max(value, floor)) - this.logMean;
    const rate = 1 / Math.min(this.count, Math.max(1, eventsPerDay ?? this.count));
    this.logMean += rate * Math.max(-MAX_STEP, Math.min(MAX_STEP, step));
  }

  snapshot(): { logMean: number; count: number } {
    return { logMean: this.logMean, count: this.count };
  }

  static restore(s: { logMean: number; count: number }): LevelTracker {
    const t = new LevelTracker();
    t.logMean = s.logMean;
    t.count = s.count;
    return t;
  }
}

const MAX_STEP = Math.log(Math.sqrt(10));
