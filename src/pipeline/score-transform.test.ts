import { describe, expect, it } from 'vitest';
import {
  erfc,
  gaussianTail,
  likelihood,
  log10GaussianTail,
  logLikelihood,
  SCORING_DEFAULTS,
  ScoreTransforms,
  SeasonalDeviation,
  StreamScoreTransform,
  ValueRange,
  type ScoringConfig,
} from './score-transform.js';

const cfg = (c: Partial<ScoringConfig>): ScoringConfig => ({ ...SCORING_DEFAULTS, ...c });
const run = (c: Partial<ScoringConfig>, raw: number[]) => {
  const t = new StreamScoreTransform(cfg(c));
  return raw.map((r) => t.next(r));
};

describe('Gaussian tail', () => {
  it('matches tabulated values of erfc and Q', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 7);
    expect(gaussianTail(0)).toBeCloseTo(0.5, 7);
    expect(gaussianTail(1.96)).toBeCloseTo(0.0249979, 6);
    expect(gaussianTail(3)).toBeCloseTo(0.0013499, 6);
    expect(gaussianTail(-1)).toBeCloseTo(0.8413447, 6);
  });

  it('log10 Q stays accurate where Q underflows', () => {
    expect(log10GaussianTail(3)).toBeCloseTo(Math.log10(0.0013499), 4);
    expect(log10GaussianTail(-1)).toBeCloseTo(Math.log10(0.8413447), 6);
    // Q(40) ≈ 3.655e-350 (below the smallest double): log10 = -349.437
    expect(log10GaussianTail(40)).toBeCloseTo(-349.437, 2);
  });

  it('loglikelihood is L / (1 + L), L = -log10 Q(z), and keeps extreme errors apart', () => {
    const l = -Math.log10(0.0013499);
    expect(logLikelihood(13, 10, 1)).toBeCloseTo(l / (1 + l), 5);
    expect(logLikelihood(10, 10, 1)).toBeCloseTo(Math.log10(2) / (1 + Math.log10(2)), 6);
    expect(likelihood(20, 0, 1)).toBe(likelihood(40, 0, 1)); // both round to 1
    expect(logLikelihood(40, 0, 1)).toBeGreaterThan(logLikelihood(20, 0, 1));
    expect(logLikelihood(40, 0, 1)).toBeLessThan(1);
  });

  it('turns a z-score into 1 - Q(z)', () => {
    expect(likelihood(12, 10, 1)).toBeCloseTo(1 - 0.0227501, 6);
    expect(likelihood(10, 10, 2)).toBeCloseTo(0.5, 7);
    expect(likelihood(8, 10, 1)).toBeCloseTo(0.0227501, 6);
    expect(likelihood(3, 2, 0)).toBe(1);
    expect(likelihood(2, 2, 0)).toBe(0.5);
  });
});

describe('StreamScoreTransform', () => {
  it('raw passes the MSE through', () => {
    expect(run({ method: 'raw' }, [0.1, 0.5, 0.2])).toEqual([0.1, 0.5, 0.2]);
  });

  it('smoothed is the mean of the last shortWindow values', () => {
    const out = run({ method: 'smoothed', shortWindow: 3 }, [3, 6, 9, 0, 3]);
    // [3], [3,6], [3,6,9], [6,9,0], [9,0,3]
    expect(out.map((x) => Number(x.toFixed(9)))).toEqual([3, 4.5, 6, 5, 4]);
  });

  it('likelihood: 0.5 while learning, then 1 - Q of the short mean against the history of short means', () => {
    // shortWindow 1: the short mean is the value itself. History [1, 3] → mean 2, std 1.
    const out = run({ method: 'likelihood', shortWindow: 1, window: 10, learningPeriod: 2, minStdRatio: 0 }, [1, 3, 4, 2]);
    expect(out[0]).toBe(0.5);
    expect(out[1]).toBe(0.5);
    expect(out[2]).toBeCloseTo(1 - gaussianTail(2), 6); // (4 - 2) / 1
    // history [1, 3, 4]: mean 8/3, population std sqrt(14/9)
    expect(out[3]).toBeCloseTo(1 - gaussianTail((2 - 8 / 3) / Math.sqrt(14 / 9)), 6);
  });

  it('likelihood forgets history older than `window` and floors the std at minStdRatio × mean', () => {
    // window 2: before the 4th value the history is [10, 10] (the 1 has left it): mean 10, std 0 → floored to 0.5 × 10 = 5.
    const out = run({ method: 'likelihood', shortWindow: 1, window: 2, learningPeriod: 0, minStdRatio: 0.5 }, [1, 10, 10, 20]);
    expect(out[3]).toBeCloseTo(1 - gaussianTail((20 - 10) / 5), 6);
  });

  it('suppress reports a score only when it tops the previous `suppress` scores', () => {
    const out = run({ method: 'raw', suppress: 2 }, [1, 5, 4, 3, 2, 6, 6]);
    // 1: nothing before; 5 > 1; 4 < 5; 3 < max(5,4); 2 < max(4,3); 6 > max(3,2); 6 not > 6
    expect(out).toEqual([1, 5, 0, 0, 0, 6, 0]);
  });
});

describe('spatial rule', () => {
  it('ValueRange flags a value beyond the range so far, widened by tolerance × its width, per feature', () => {
    const r = new ValueRange(0.1);
    expect(r.observe([10, 0])).toBe(false); // first value: the range is [10, 10], [0, 0]
    expect(r.observe([20, 0])).toBe(true); // 20 > 10 + 0.1 × 0
    // range [10, 20], margin 1: 21 is inside (and widens the range to [10, 21])
    expect(r.observe([21, 0])).toBe(false);
    // range [10, 21], margin 1.1: the low limit is 8.9
    expect(r.observe([8.95, 0])).toBe(false);
    expect(r.observe([8.95, 0.5])).toBe(true); // the second feature's range is still [0, 0]
    expect(r.observe([7.7, 0])).toBe(true); // range [8.95, 21], margin 1.205: limit 7.745
  });

  it('scores 1 when the newest value leaves the range, once learning is over, and only then', () => {
    const t = new StreamScoreTransform(cfg({ method: 'likelihood', shortWindow: 1, window: 10, learningPeriod: 2, minStdRatio: 0, spatial: true, spatialTolerance: 0 }));
    // errors constant at 1 → std 0, likelihood 0.5 while equal to the mean
    const out = [
      t.next(1, [5]), // learning; range [5, 5]
      t.next(1, [9]), // learning: outside, but not reported; range [5, 9]
      t.next(1, [7]), // inside: likelihood of 1 against mean 1, std 0 → 0.5
      t.next(1, [4]), // below 5: spatial → 1
      t.next(1, [4]), // inside the widened range now
    ];
    expect(out).toEqual([0.5, 0.5, 0.5, 1, 0.5]);
  });

  it('is off unless configured, and ignores a window without values', () => {
    const off = new StreamScoreTransform(cfg({ method: 'likelihood', shortWindow: 1, learningPeriod: 0, minStdRatio: 0 }));
    expect([off.next(1, [1]), off.next(1, [1]), off.next(1, [100])]).toEqual([0.5, 0.5, 0.5]);
    const on = new StreamScoreTransform(cfg({ method: 'likelihood', shortWindow: 1, learningPeriod: 0, minStdRatio: 0, spatial: true, spatialTolerance: 0 }));
    expect([on.next(1, [1]), on.next(1), on.next(1, [100])]).toEqual([0.5, 0.5, 1]);
  });

  it('a spatial score is suppressed like any other', () => {
    const t = new StreamScoreTransform(cfg({ method: 'likelihood', shortWindow: 1, learningPeriod: 0, minStdRatio: 0, spatial: true, spatialTolerance: 0, suppress: 3 }));
    // 0.5 (first), then 0.5 not > 0.5 → 0, new high 2 → 1, new high 3 → 1 but not above the previous 1 → 0
    expect([t.next(1, [1]), t.next(1, [1]), t.next(1, [2]), t.next(1, [3])]).toEqual([0.5, 0, 1, 0]);
  });
});

describe('seasonal rule', () => {
  it('SeasonalDeviation: distance from the median of the values 1…seasons periods back, over the seasons seen', () => {
    const d = new SeasonalDeviation(2, 3);
    // 2 ← 1; 6 ← 5; 3 ← median(2, 1); 20 ← median(6, 5); 4 ← median(3, 2, 1); 7 ← median(20, 6, 5)
    expect([1, 5, 2, 6, 3, 20, 4, 7].map((x) => d.next(x))).toEqual([null, null, 1, 1, 1.5, 14.5, 2, 1]);
  });

  it('scores the larger of the error likelihood and the likelihood of the seasonal deviation', () => {
    const t = new StreamScoreTransform(
      cfg({ method: 'likelihood', shortWindow: 1, window: 10, learningPeriod: 0, minStdRatio: 0, seasonalPeriod: 2, seasonalDays: 1, seasonalShortWindow: 1 }),
    );
    // Errors constant (0.5 throughout); the values repeat 1, 5 until the last, 9, lies 4 from the 5 one period back.
    expect([1, 5, 1, 5, 1, 9].map((v) => t.next(1, [v]))).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 1]);
    const off = new StreamScoreTransform(cfg({ method: 'likelihood', shortWindow: 1, window: 10, learningPeriod: 0, minStdRatio: 0 }));
    expect([1, 5, 1, 5, 1, 9].map((v) => off.next(1, [v]))).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('needs a likelihood method in the config schema', async () => {
    const { streamRuleSchema } = await import('../config/schema.js');
    expect(streamRuleSchema.safeParse({ match: '*', model: 'm', scoring: { seasonalPeriod: 288 } }).success).toBe(false);
    expect(streamRuleSchema.safeParse({ match: '*', model: 'm', scoring: { method: 'likelihood', seasonalPeriod: 288 }, threshold: 0.999 }).success).toBe(true);
    expect(streamRuleSchema.safeParse({ match: '*', model: 'm', scoring: { method: 'likelihood', seasonalPeriod: 288, seasonalDays: 0 }, threshold: 0.999 }).success).toBe(false);
  });
});

describe('ScoreTransforms', () => {
  it('keeps one state per stream and forgets dropped streams', () => {
    const t = new ScoreTransforms();
    const smoothed = cfg({ method: 'smoothed', shortWindow: 2 });
    expect(t.apply('a', 2, smoothed)).toBe(2);
    expect(t.apply('b', 10, smoothed)).toBe(10);
    expect(t.apply('a', 4, smoothed)).toBe(3);
    t.drop((s) => s === 'a');
    expect(t.apply('a', 8, smoothed)).toBe(8);
    expect(t.apply('b', 0, smoothed)).toBe(5);
  });
});

describe('stream rule `scoring` in the config schema', () => {
  it('defaults to the raw MSE and rejects a likelihood without a threshold below 1', async () => {
    const { streamRuleSchema } = await import('../config/schema.js');
    expect(streamRuleSchema.parse({ match: '*', model: 'm' }).scoring).toEqual(SCORING_DEFAULTS);
    expect(streamRuleSchema.parse({ match: '*', model: 'm', scoring: { method: 'likelihood', suppress: 50 }, threshold: 0.9999 }).scoring).toEqual({
      ...SCORING_DEFAULTS,
      method: 'likelihood',
      suppress: 50,
    });
    expect(streamRuleSchema.safeParse({ match: '*', model: 'm', scoring: { method: 'likelihood' } }).success).toBe(false);
    expect(streamRuleSchema.safeParse({ match: '*', model: 'm', scoring: { method: 'likelihood' }, threshold: 0.02 }).success).toBe(true);
    expect(streamRuleSchema.safeParse({ match: '*', model: 'm', scoring: { window: 0 } }).success).toBe(false);
    expect(streamRuleSchema.safeParse({ match: '*', model: 'm', scoring: { spatial: true } }).success).toBe(false);
    expect(streamRuleSchema.safeParse({ match: '*', model: 'm', scoring: { method: 'likelihood', spatial: true, spatialTolerance: 0.05 }, threshold: 0.999 }).success).toBe(true);
    expect(streamRuleSchema.safeParse({ match: '*', model: 'm', scoring: { method: 'likelihood', spatialTolerance: -1 }, threshold: 0.999 }).success).toBe(false);
  });
});

describe('score transform snapshots', () => {
  const configs: Partial<ScoringConfig>[] = [
    { method: 'raw' },
    { method: 'smoothed', shortWindow: 3 },
    { method: 'likelihood', window: 20, shortWindow: 3, learningPeriod: 5, suppress: 4, spatial: true },
    { method: 'loglikelihood', window: 20, shortWindow: 3, learningPeriod: 5, seasonalPeriod: 6, seasonalDays: 2, seasonalShortWindow: 2 },
  ];
  const raw = Array.from({ length: 60 }, (_, i) => 0.01 + 0.005 * Math.sin(i) + (i === 41 ? 0.3 : 0));
  const latest = raw.map((_, i) => [100 + 10 * Math.sin(i / 2) + (i === 50 ? 80 : 0)]);

  for (const c of configs) {
    it(`${c.method}: a stream restored from JSON at any point scores bit for bit like one never interrupted`, () => {
      const config = cfg(c);
      const whole = new ScoreTransforms();
      const expected = raw.map((r, i) => whole.apply('s', r, config, latest[i]));
      for (const cut of [0, 1, 7, 25, 59]) {
        const first = new ScoreTransforms();
        const before = raw.slice(0, cut).map((r, i) => first.apply('s', r, config, latest[i]));
        const second = new ScoreTransforms();
        const snap = first.snapshot('s');
        second.restore('s', snap === undefined ? undefined : JSON.parse(JSON.stringify(snap)));
        // A restored stream's snapshot is its restored state until its next window.
        expect(second.snapshot('s')).toEqual(snap === undefined ? undefined : JSON.parse(JSON.stringify(snap)));
        const after = raw.slice(cut).map((r, i) => second.apply('s', r, config, latest[cut + i]));
        expect([...before, ...after]).toEqual(expected);
      }
    });
  }

  it('starts afresh when the snapshot was taken under another configuration', () => {
    const a = new ScoreTransforms();
    const small = cfg({ method: 'likelihood', window: 5, shortWindow: 2, learningPeriod: 0 });
    raw.slice(0, 10).forEach((r) => a.apply('s', r, small));
    const b = new ScoreTransforms();
    b.restore('s', a.snapshot('s'));
    const other = cfg({ method: 'likelihood', window: 3, shortWindow: 2, learningPeriod: 0 });
    const fresh = new ScoreTransforms();
    expect(raw.slice(10, 20).map((r) => b.apply('s', r, other))).toEqual(raw.slice(10, 20).map((r) => fresh.apply('s', r, other)));
  });
});
