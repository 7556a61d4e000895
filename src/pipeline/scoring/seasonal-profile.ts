import { SharedRowsByWidth, type SharedRows } from './shared-rows.js';

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
/** A chunk of profiles' slots and days seen (one buffer, viewed as each). */
interface ProfileChunk {
  readonly slots: Float32Array;
  readonly seen: Uint8Array;
}

/** Profiles' numbers, by slots a day: a row of `slots` and of `seen` each. */
export type ProfileRows = SharedRowsByWidth<ProfileChunk>;

/**
 * Rows for the profiles of one owner: a pipeline's scorers share one set, so the rows go when the
 * pipeline goes, whether or not it dropped its streams first.
 */
export function newProfileRows(): ProfileRows {
  return new SharedRowsByWidth<ProfileChunk>(
    (values) => {
      const buffer = new ArrayBuffer(values * (Float32Array.BYTES_PER_ELEMENT + Uint8Array.BYTES_PER_ELEMENT));
      return { slots: new Float32Array(buffer, 0, values), seen: new Uint8Array(buffer, values * Float32Array.BYTES_PER_ELEMENT, values) };
    },
    (chunk, base, width) => {
      chunk.slots.fill(NaN, base, base + width);
      chunk.seen.fill(0, base, base + width);
    },
  );
}

/** The rows of profiles made on their own (tests, tools). */
const OWN_PROFILE_ROWS = newProfileRows();

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
  /**
   * The profile's slots and days seen (capped at 255) are `slotCount` entries of a chunk shared with
   * other streams' profiles, from `base`: the row `row` of `rows`. -1: released.
   */
  private readonly rows: SharedRows<ProfileChunk>;
  private readonly chunk: ProfileChunk;
  private row: number;
  private readonly base: number;
  weekendOffset = 0;
  /** Weekend points seen so far; the offset is their plain mean residual until a weekend day's worth. */
  private weekendPoints = 0;

  constructor(
    readonly cadenceMs: number,
    /** Days a slot must have seen before it gives an expectation. */
    private readonly minDays = 1,
    rows: ProfileRows = OWN_PROFILE_ROWS,
  ) {
    this.rows = rows.of(this.slotCount);
    this.row = this.rows.lease();
    this.chunk = this.rows.chunkOf(this.row);
    this.base = this.rows.baseOf(this.row);
  }

  /** Gives the profile's row back; its holder drops it with this (a second call does nothing). */
  release(): void {
    if (this.row < 0) return;
    this.rows.release(this.row);
    this.row = -1;
  }

  // Worked out from the cadence on every use: fields would cost each stream's profile 24 bytes more.
  /** Slots a day. */
  get slotCount(): number {
    return Math.max(1, Math.min(MAX_SLOTS, Math.round(DAY_MS / this.cadenceMs)));
  }

  private get slotMs(): number {
    return DAY_MS / this.slotCount;
  }

  /** Points a slot gets in a day: 1 down to a cadence of one slot, more for finer cadences. */
  get pointsPerSlot(): number {
    return Math.max(1, Math.round(this.slotMs / this.cadenceMs));
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
      ...this.copy(),
      weekendOffset: this.weekendOffset,
      weekendPoints: this.weekendPoints,
    };
  }

  /** The slots and days seen, copied into one buffer of their own, viewed as each. */
  private copy(): { slots: Float32Array; seen: Uint8Array } {
    const n = this.slotCount;
    const buffer = new ArrayBuffer(n * (Float32Array.BYTES_PER_ELEMENT + Uint8Array.BYTES_PER_ELEMENT));
    const slots = new Float32Array(buffer, 0, n);
    const seen = new Uint8Array(buffer, n * Float32Array.BYTES_PER_ELEMENT, n);
    slots.set(this.chunk.slots.subarray(this.base, this.base + n));
    seen.set(this.chunk.seen.subarray(this.base, this.base + n));
    return { slots, seen };
  }

  static restore(s: SeasonalProfileSnapshot, minDays = 1, rows: ProfileRows = OWN_PROFILE_ROWS): SeasonalProfile {
    const p = new SeasonalProfile(s.cadenceMs, minDays, rows);
    if (s.slots.length !== p.slotCount || s.seen.length !== p.slotCount) {
      p.release();
      throw new Error(`a profile of ${s.slots.length} slots does not fit ${p.slotCount}`);
    }
    for (let i = 0; i < p.slotCount; i++) {
      p.chunk.slots[p.base + i] = s.slots[i] ?? NaN;
      p.chunk.seen[p.base + i] = s.seen[i] ?? 0;
    }
    p.weekendOffset = s.weekendOffset;
    p.weekendPoints = s.weekendPoints;
    return p;
  }

  slotOf(ts: number): number {
    return Math.min(this.slotCount - 1, Math.floor((((ts % DAY_MS) + DAY_MS) % DAY_MS) / this.slotMs));
  }

  /**
   * The expected log value at `ts`, or undefined while its slot has not been seen, or while it is a
   * weekend and the weekend level has not been learned yet.
   */
  expectedLog(ts: number): number | undefined {
    const at = this.base + this.slotOf(ts);
    const m = this.chunk.slots[at];
    if (Number.isNaN(m) || this.chunk.seen[at] < this.minDays) return undefined;
    if (!isWeekend(ts)) return m;
    return this.weekendPoints < this.pointsPerDay() ? undefined : m + this.weekendOffset;
  }

  private pointsPerDay(): number {
    return this.slotCount * this.pointsPerSlot;
  }

  /**
   * Moves the expectation at `ts` by `step` (a clipped residual times the learning rate). The first
   * weekend day sets the weekend level from its plain mean residual: a weekend dip is what a
   * weekend is, not an anomaly to learn slowly from.
   */
  learn(ts: number, logValue: number, step: number, weekendStep: number): void {
    const at = this.base + this.slotOf(ts);
    const weekend = isWeekend(ts);
    const { slots, seen } = this.chunk;
    const m = slots[at];
    if (!weekend && seen[at] < 255 && this.lastOfSlot(ts)) seen[at]++;
    if (weekend && this.weekendPoints < this.pointsPerDay()) {
      if (Number.isNaN(m)) return;
      this.weekendPoints++;
      this.weekendOffset += (logValue - m - this.weekendOffset) / this.weekendPoints;
    } else if (Number.isNaN(m)) slots[at] = logValue - (weekend ? this.weekendOffset : 0);
    else if (weekend) this.weekendOffset += weekendStep;
    else slots[at] += step;
  }
}

/** Saturday or Sunday, UTC. */
export function isWeekend(ts: number): boolean {
  const day = new Date(ts).getUTCDay();
  return day === 0 || day === 6;
}
