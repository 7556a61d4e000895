import { describe, expect, it } from 'vitest';
import { SeasonalProfile } from './seasonal-profile.js';

const FIVE_MINUTES = 300_000;
/** A Monday. */
const T0 = Date.UTC(2026, 0, 5);

describe('SeasonalProfile', () => {
  it('keeps every slot\'s value and days seen apart (one chunk holds both, for many profiles), judging a slot only after minDays', () => {
    const p = new SeasonalProfile(FIVE_MINUTES, 2);
    // Neighbours in the same chunk, learning other values at the same times.
    const neighbours = [new SeasonalProfile(FIVE_MINUTES, 2), new SeasonalProfile(FIVE_MINUTES, 2)];
    expect(p.slotCount).toBe(288);
    const value = (slot: number) => Math.log(1 + slot * 7.25);
    for (let slot = 0; slot < 288; slot++) {
      p.learn(T0 + slot * FIVE_MINUTES, value(slot), 0, 0);
      for (const n of neighbours) n.learn(T0 + slot * FIVE_MINUTES, -slot, 0, 0);
    }
    for (const n of neighbours) n.learn(T0 + 86_400_000, 99, 0, 0);
    // One day seen: no slot judges yet, every value is held.
    for (let slot = 0; slot < 288; slot++) expect(p.expectedLog(T0 + 86_400_000 + slot * FIVE_MINUTES)).toBeUndefined();
    expect(Array.from(p.snapshot().slots)).toEqual(Array.from({ length: 288 }, (_, slot) => Math.fround(value(slot))));
    // The second day moves each slot by its step and completes minDays; the days seen of each slot never leak into another slot's value.
    for (let slot = 0; slot < 288; slot++) p.learn(T0 + 86_400_000 + slot * FIVE_MINUTES, 0, slot % 2 === 0 ? 0.5 : -0.25, 0);
    for (let slot = 0; slot < 288; slot++) {
      const expected = Math.fround(Math.fround(value(slot)) + (slot % 2 === 0 ? 0.5 : -0.25));
      expect(p.expectedLog(T0 + 2 * 86_400_000 + slot * FIVE_MINUTES), `slot ${slot}`).toBe(expected);
    }
  });

  it('learns a source that reports every minute in days, not in points: a slot judges after minDays days, the weekend after a whole day', () => {
    const MINUTE = 60_000;
    const p = new SeasonalProfile(MINUTE, 2);
    expect(p.slotCount).toBe(288);
    expect(p.pointsPerSlot).toBe(5);
    // A per-day rate of 0.5 spread over five points a day gives 0.5 over the five together.
    expect(1 - (1 - p.pointRate(0.5)) ** 5).toBeCloseTo(0.5, 12);
    const day = 1440;
    for (let i = 0; i < day; i++) p.learn(T0 + i * MINUTE, 1, 0, 0);
    // A whole day of points (five in every slot) is one day seen.
    expect(p.expectedLog(T0 + day * MINUTE)).toBeUndefined();
    for (let i = day; i < 2 * day; i++) p.learn(T0 + i * MINUTE, 1, 0, 0);
    expect(p.expectedLog(T0 + 2 * day * MINUTE)).toBe(1);
    // Saturday: the weekend level needs a day of points, not a day of slots.
    const saturday = T0 + 5 * day * MINUTE;
    for (let i = 0; i < day - 1; i++) p.learn(saturday + i * MINUTE, 0.5, 0, 0);
    expect(p.expectedLog(saturday + day * MINUTE)).toBeUndefined();
    p.learn(saturday + (day - 1) * MINUTE, 0.5, 0, 0);
    expect(p.expectedLog(saturday + day * MINUTE)).toBeCloseTo(0.5, 6);
  });

  it('gives its row back when released: a profile made after starts unseen, the others keep what they learned', () => {
    const kept = new SeasonalProfile(FIVE_MINUTES);
    const released = new SeasonalProfile(FIVE_MINUTES);
    for (const p of [kept, released]) for (let slot = 0; slot < 288; slot++) p.learn(T0 + slot * FIVE_MINUTES, 3, 0, 0);
    released.release();
    released.release();
    // Rows are leased last given back first: the new profile has the released one's row, cleared, and only that one.
    const fresh = new SeasonalProfile(FIVE_MINUTES);
    const another = new SeasonalProfile(FIVE_MINUTES);
    for (const p of [fresh, another]) {
      expect(Array.from(p.snapshot().slots).every(Number.isNaN)).toBe(true);
      expect(Array.from(p.snapshot().seen).every((d) => d === 0)).toBe(true);
    }
    expect(kept.expectedLog(T0 + 86_400_000)).toBe(3);
    fresh.learn(T0, 7, 0, 0);
    expect(Array.from(another.snapshot().slots).every(Number.isNaN)).toBe(true);
    expect(kept.snapshot().slots[0]).toBe(3);
  });
});
