import { describe, expect, it } from 'vitest';
import { SeasonalProfile } from './seasonal-profile.js';

const FIVE_MINUTES = 300_000;
/** A Monday. */
const T0 = Date.UTC(2026, 0, 5);

describe('SeasonalProfile', () => {
  it('keeps every slot\'s value and days seen apart (one buffer holds both), judging a slot only after minDays', () => {
    const p = new SeasonalProfile(FIVE_MINUTES, 2);
    expect(p.slots).toHaveLength(288);
    const value = (slot: number) => Math.log(1 + slot * 7.25);
    for (let slot = 0; slot < 288; slot++) p.learn(T0 + slot * FIVE_MINUTES, value(slot), 0, 0);
    // One day seen: no slot judges yet, every value is held.
    for (let slot = 0; slot < 288; slot++) expect(p.expectedLog(T0 + 86_400_000 + slot * FIVE_MINUTES)).toBeUndefined();
    expect(Array.from(p.slots)).toEqual(Array.from({ length: 288 }, (_, slot) => Math.fround(value(slot))));
    // The second day moves each slot by its step and completes minDays; the days seen of each slot never leak into another slot's value.
    for (let slot = 0; slot < 288; slot++) p.learn(T0 + 86_400_000 + slot * FIVE_MINUTES, 0, slot % 2 === 0 ? 0.5 : -0.25, 0);
    for (let slot = 0; slot < 288; slot++) {
      const expected = Math.fround(Math.fround(value(slot)) + (slot % 2 === 0 ? 0.5 : -0.25));
      expect(p.expectedLog(T0 + 2 * 86_400_000 + slot * FIVE_MINUTES), `slot ${slot}`).toBe(expected);
    }
  });
});
