import { describe, expect, it } from 'vitest';
import { MAX_TP, scaledSigmoid } from './sigmoid.js';

describe('scaledSigmoid', () => {
  it('takes the values NAB documents at the window edges', () => {
    // 2*sigmoid(5) - 1 = 2/(1+e^-5) - 1 = 0.986614...
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(MAX_TP).toBe(scaledSigmoid(-1));
    // 2*sigmoid(2.5) - 1 = 0.848283...
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
  });

  it('is -1 beyond 3 and the plain curve at 3', () => {
    // At exactly 3: 2/(1+e^15) - 1 = -0.99999939...
    expect(scaledSigmoid(3)).toBeCloseTo(-0.9999993882, 9);
    expect(scaledSigmoid(3)).not.toBe(-1);
    expect(scaledSigmoid(3.0001)).toBe(-1);
    expect(scaledSigmoid(Number.POSITIVE_INFINITY)).toBe(-1);
  });
});
