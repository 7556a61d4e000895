const DAY_MS = 86_400_000;

/** An unseen slot is NaN (null in a JSON record of an earlier release). */
export interface SeasonalProfileSnapshot {
  cadenceMs: number;
  slots: Float32Array | (number | null)[];
  /** Days each slot has seen. */
  seen: Uint8Array | number[];
  weekendOffset: number;
  weekendPoints: number;
}
/** Finer than this many slots a day the profile would only learn noise (and cost memory). */
const MAX_SLOTS = 288;

/**
 * A stream's expected (log) value by time of day, one slot per cadence of the day (UTC), plus one
 * weekend offset: Saturday and Sunday are the weekday profile shifted by a learned amount, which is
 * what weekend dips of a log source look like. Learned online: each slot moves towards the values
 * it sees by `rate` per day, so yesterday weighs most and a week ago little.
 *
 * A source that reports more often than a slot is long (every minute: five points a slot) is
 * learned in days all the same: a slot counts a day seen at its last point of the day, and the
 * caller's rate per day is spread over the slot's points (`pointRate`).
 */
export class SeasonalProfile {
  readonly slots: Float32Array;
  /** Days each slot has seen (capped at 255); in the slots' buffer, so a stream's profile is one allocation. */
  private readonly seen: Uint8Array;
  private readonly slotMs: number;
  /** Points a slot gets in a day: 1 down to a cadence of one slot, more for finer cadences. */
  readonly pointsPerSlot: number;
  weekendOffset = 0;
  /** Weekend points seen so far; the offset is their plain mean residual until a weekend day's worth. */
  private weekendPoints = 0;

  constructor(
    readonly cadenceMs: number,
    /** Days a slot must have seen before it gives an expectation. */
    private readonly minDays = 1,
  ) {
    const slots = Math.max(1, Math.min(MAX_SLOTS, Math.round(DAY_MS / cadenceMs)));
    // One ArrayBuffer per profile: each buffer costs its own object and backing store, ~250 bytes a stream.
    const buffer = new ArrayBuffer(slots * (Float32Array.BYTES_PER_ELEMENT + Uint8Array.BYTES_PER_ELEMENT));
    this.slots = new Float32Array(buffer, 0, slots).fill(NaN);
    this.seen = new Uint8Array(buffer, slots * Float32Array.BYTES_PER_ELEMENT, slots);
    this.slotMs = DAY_MS / slots;
    this.pointsPerSlot = Math.max(1, Math.round(this.slotMs / cadenceMs));
  }

  /** The learning rate per point that gives `ratePerDay` over a day of a slot's points. */
  pointRate(ratePerDay: number): number {
    return this.pointsPerSlot === 1 ? ratePerDay : 1 - (1 - ratePerDay) ** (1 / this.pointsPerSlot);
  }

  /** Whether `ts` is a slot's last point of its day (every point, at a cadence of a slot or more). */
  private lastOfSlot(ts: number): boolean {
    return this.pointsPerSlot === 1 || ((ts % this.slotMs) + this.slotMs) % this.slotMs >= this.slotMs - this.cadenceMs;
  }

  snapshot(): SeasonalProfileSnapshot {
    return {
      cadenceMs: this.cadenceMs,
      // One copy of the buffer both live in, viewed as each.
      ...this.copy(),
      weekendOffset: this.weekendOffset,
      weekendPoints: this.weekendPoints,
    };
  }

  private copy(): { slots: Float32Array; seen: Uint8Array } {
    const buffer = this.slots.buffer.slice(0);
    return { slots: new Float32Array(buffer, 0, this.slots.length), seen: new Uint8Array(buffer, this.slots.byteLength, this.seen.length) };
  }

  static restore(s: SeasonalProfileSnapshot, minDays = 1): SeasonalProfile {
    const p = new SeasonalProfile(s.cadenceMs, minDays);
    if (s.slots.length !== p.slots.length || s.seen.length !== p.seen.length) {
      throw new Error(`a profile of ${s.slots.length} slots does not fit ${p.slots.length}`);
    }
    for (let i = 0; i < p.slots.length; i++) p.slots[i] = s.slots[i] ?? NaN;
    p.seen.set(s.seen);
    p.weekendOffset = s.weekendOffset;
    p.weekendPoints = s.weekendPoints;
    return p;
  }

  slotOf(ts: number): number {
    return Math.min(this.slots.length - 1, Math.floor((((ts % DAY_MS) + DAY_MS) % DAY_MS) / this.slotMs));
  }

  /**
   * The expected log value at `ts`, or undefined while its slot has not been seen, or while it is a
   * weekend and the weekend level has not been learned yet.
   */
  expectedLog(ts: number): number | undefined {
    const slot = this.slotOf(ts);
    const m = this.slots[slot];
    if (Number.isNaN(m) || this.seen[slot] < this.minDays) return undefined;
    if (!isWeekend(ts)) return m;
    return this.weekendPoints < this.pointsPerDay() ? undefined : m + this.weekendOffset;
  }

  private pointsPerDay(): number {
    return this.slots.length * this.pointsPerSlot;
  }

  /**
   * Moves the expectation at `ts` by `step` (a clipped residual times the learning rate). The first
   * weekend day sets the weekend level from its plain mean residual: a weekend dip is what a
   * weekend is, not an anomaly to learn slowly from.
   */
  learn(ts: number, logValue: number, step: number, weekendStep: number): void {
    const slot = this.slotOf(ts);
    const weekend = isWeekend(ts);
    const m = this.slots[slot];
    if (!weekend && this.seen[slot] < 255 && this.lastOfSlot(ts)) this.seen[slot]++;
    if (weekend && this.weekendPoints < this.pointsPerDay()) {
      if (Number.isNaN(m)) return;
      this.weekendPoints++;
      this.weekendOffset += (logValue - m - this.weekendOffset) / this.weekendPoints;
    } else if (Number.isNaN(m)) this.slots[slot] = logValue - (weekend ? this.weekendOffset : 0);
    else if (weekend) this.weekendOffset += weekendStep;
    else this.slots[slot] += step;
  }
}

/** Saturday or Sunday, UTC. */
export function isWeekend(ts: number): boolean {
  const day = new Date(ts).getUTCDay();
  return day === 0 || day === 6;
}
