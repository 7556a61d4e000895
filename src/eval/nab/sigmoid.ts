/**
 * NAB's scaled sigmoid of a relative position y (nab/sweeper.py scaledSigmoid):
 * -1 for y > 3, otherwise 2 / (1 + e^(5y)) - 1 = 2*sigmoid(-5y) - 1.
 * y = -1 is the left edge of a window (0.98661), y = 0 its right edge (0), and
 * y > 0 lies past the window, approaching -1.
 */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/** The largest weight a detection can earn: scaledSigmoid(-1), by which NAB divides true-positive weights. */
export const MAX_TP = scaledSigmoid(-1);
