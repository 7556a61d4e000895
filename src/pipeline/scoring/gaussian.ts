/** The Gaussian tail and the likelihoods built on it. */

/** 1 - Q((x - mean) / std): how unusually high x is; 0.5 when std is 0 and x equals the mean. */
export function likelihood(x: number, mean: number, std: number): number {
  if (!(std > 0)) return x > mean ? 1 : x < mean ? 0 : 0.5;
  return 1 - gaussianTail((x - mean) / std);
}

/** L / (1 + L) with L = -log10 Q((x - mean) / std): 0 far below the mean, about 0.23 at it, towards 1 far above. */
export function logLikelihood(x: number, mean: number, std: number): number {
  if (!(std > 0)) return x > mean ? 1 : x < mean ? 0 : 0.23;
  const l = -log10GaussianTail((x - mean) / std);
  return l / (1 + l);
}

/** log10 Q(z), accurate far into the tail where Q(z) itself underflows. */
export function log10GaussianTail(z: number): number {
  if (z < 0) return Math.log10(gaussianTail(z));
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  return (Math.log(0.5 * t) + erfcExponent(x, t)) / Math.LN10;
}

/** Q(z) = P(Z > z) for a standard normal Z. */
export function gaussianTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(erfcExponent(z, t));
  return x >= 0 ? r : 2 - r;
}

/** erfc(z) = t · exp(erfcExponent(z, t)) for z ≥ 0, t = 1 / (1 + z/2). */
function erfcExponent(z: number, t: number): number {
  return (
    -z * z -
    1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
}

