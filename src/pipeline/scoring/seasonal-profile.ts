const DAY_MS = 86_400_000;
/** Finer than this many slots a day the profile would only learn noise (and cost memory). */
const MAX_SLOTS = 288;

/**
 * A stream's expected (log) value by time of day, one slot per cadence of the day (UTC), plus one
 * weekend offset: Saturday and Sunday are the weekday profile shifted by a learned amount, which is
 * what weekend dips of a log source look like. Learned online: each slot moves towards the values
 * it sees by `rate` per day, so yesterday weighs most and a week ago little.
 */
export class SeasonalProfile {
  readonly slots: Float32Array;
  private readonly slotMs: number;
  weekendOffset = 0;

  constructor(readonly cadenceMs: number) {
    const slots = Math.max(1, Math.min(MAX_SLOTS, Math.round(DAY_MS / cadenceMs)));
    this.slots = new Float32Array(slots).fill(NaN);
    this.slotMs = DAY_MS / slots;
  }

  slotOf(ts: number): number {
    return Math.min(this.slots.length - 1, Math.floor((((ts % DAY_MS) + DAY_MS) % DAY_MS) / this.slotMs));
  }

  /** The expected log value at `ts`, or undefined while its slot has not been seen. */
  expectedLog(ts: number): number | undefined {
    const m = this.slots[this.slotOf(ts)];
    return Number.isNaN(m) ? undefined : m + (isWeekend(ts) ? this.weekendOffset : 0);
  }

  /** Moves the expectation at `ts` by `step` (a clipped residual times the learning rate). */
  learn(ts: number, logValue: number, step: number, weekendStep: number): void {
    const slot = this.slotOf(ts);
    const weekend = isWeekend(ts);
    if (Number.isNaN(this.slots[slot])) this.slots[slot] = logValue - (weekend ? this.weekendOffset : 0);
    else if (weekend) this.weekendOffset += weekendStep;
    else this.slots[slot] += step;
  }
}

/** Saturday or Sunday, UTC. */
export function isWeekend(ts: number): boolean {
  const day = new Date(ts).getUTCDay();
  return day === 0 || day === 6;
}
