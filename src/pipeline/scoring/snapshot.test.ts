import { describe, expect, it } from 'vitest';
import { SCORING_DEFAULTS, type ScoringConfig } from '../../config/schema.js';
import { seededRandom } from '../../model/windows.js';
import { StreamScorers } from './index.js';
import { LevelTracker } from './level.js';
import type { ScoreInput } from './scorer.js';
import { decodeStateRecord, throughWire } from '../../kafka/state-record.js';

const HALF_HOUR = 1_800_000;
const DAY = 48;
/** A Monday. */
const T0 = Date.UTC(2026, 0, 5);

/**
 * A synthetic log source over `days` with a daily rhythm, weekend dips, noise, a spike, a dip and a
 * stuck stretch and lasting shifts, with the reconstruction error moving along, as the pipeline feeds a scorer.
 */
function inputs(days: number): ScoreInput[] {
  const random = seededRandom(7);
  const level = new LevelTracker();
  const out: ScoreInput[] = [];
  let stuck = 0;
  for (let i = 0; i < days * DAY; i++) {
    const rhythm = 1 - 0.6 * Math.cos((2 * Math.PI * (i % DAY)) / DAY);
    const day = new Date(T0 + i * HALF_HOUR).getUTCDay();
    let v = 100 * rhythm * (day === 0 || day === 6 ? 0.5 : 1) * (1 + 0.05 * (random() - 0.5));
    if (i === 4 * DAY + 20) v *= 4;
    if (i >= 6 * DAY + 10 && i < 6 * DAY + 14) v *= 0.2;
    if (i >= 8 * DAY && i < 8 * DAY + 12) v = stuck || (stuck = v);
    // A lasting shift up, then one down: what the CUSUMs accumulate.
    if (i >= 7 * DAY + 5 && i < 7 * DAY + 35) v *= 1.6;
    if (i >= 9 * DAY + 5 && i < 9 * DAY + 35) v *= 0.6;
    out.push({
      raw: 0.5 + random() + (i === 4 * DAY + 20 ? 5 : 0),
      latest: [v],
      reconstructedLatest: v * (0.9 + 0.2 * random()),
      ts: T0 + i * HALF_HOUR,
      cadenceMs: i > 1 ? HALF_HOUR : undefined,
      level: level.level,
      errorTrusted: level.established(DAY),
      errorThreshold: 1,
    });
    level.observe(v, DAY);
  }
  return out;
}

const CONFIGS: Record<string, ScoringConfig> = {
  context: SCORING_DEFAULTS,
  raw: { ...SCORING_DEFAULTS, method: 'raw' },
  smoothed: { ...SCORING_DEFAULTS, method: 'smoothed', shortWindow: 5 },
  'likelihood, spatial, suppressed, seasonal': {
    ...SCORING_DEFAULTS,
    method: 'likelihood',
    window: 100,
    shortWindow: 3,
    learningPeriod: 20,
    spatial: true,
    suppress: 10,
    seasonalPeriod: DAY,
    seasonalDays: 3,
    seasonalShortWindow: 4,
  },
  loglikelihood: { ...SCORING_DEFAULTS, method: 'loglikelihood', window: 50, shortWindow: 2, learningPeriod: 10 },
};

describe('scorer snapshots', () => {
  const stream = inputs(10);

  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`${name}: a scorer restored mid-stream from its changelog record scores exactly like one never interrupted`, () => {
      const whole = new StreamScorers();
      const expected = stream.map((x) => whole.score('s', config, x));
      // Cut points: before the first window, while learning, and every 7th point after (around the spike, the dip and the stuck stretch).
      const cuts = [0, 1, 3, ...Array.from({ length: Math.floor(stream.length / 7) }, (_, k) => 5 + 7 * k), stream.length];
      for (const cut of cuts) {
        const first = new StreamScorers();
        const got = stream.slice(0, cut).map((x) => first.score('s', config, x));
        const second = new StreamScorers();
        second.restore('s', config, throughWire(first.snapshot('s') ?? null) ?? undefined);
        got.push(...stream.slice(cut).map((x) => second.score('s', config, x)));
        expect(got, `cut at ${cut}`).toEqual(expected);
      }
      // The stream's outputs are not all alike: the comparison means something.
      expect(new Set(expected.map((o) => o.score)).size).toBeGreaterThan(10);
    });
  }

  it('context: a scorer restored from the JSON record of an earlier release scores exactly like one never interrupted', () => {
    const config = CONFIGS.context;
    const whole = new StreamScorers();
    const expected = stream.map((x) => whole.score('s', config, x));
    // Within the first day: unseen profile slots and unlearned noise scales (NaN, null in JSON).
    const cut = DAY / 2 + 3;
    const first = new StreamScorers();
    stream.slice(0, cut).forEach((x) => first.score('s', config, x));
    // What the changelog held before MessagePack: typed arrays as number arrays, NaN as null.
    const json = JSON.stringify({ v: 2, scoring: first.snapshot('s') }, (_key, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array, (x) => (Number.isNaN(x) ? null : x)) : v));
    expect(json).toContain('null');
    const second = new StreamScorers();
    second.restore('s', config, decodeStateRecord(Buffer.from(json), 'eps').state.scoring);
    expect(stream.slice(cut).map((x) => second.score('s', config, x))).toEqual(expected.slice(cut));
  });

  it('starts a stream afresh when its snapshot was taken under another method or shape', () => {
    const a = new StreamScorers();
    stream.slice(0, 3 * DAY).forEach((x) => a.score('s', CONFIGS.context, x));
    const snap = throughWire(a.snapshot('s'));
    const fresh = new StreamScorers();
    const restored = new StreamScorers();
    const config = CONFIGS['likelihood, spatial, suppressed, seasonal'];
    restored.restore('s', config, snap);
    expect(stream.slice(3 * DAY).map((x) => restored.score('s', config, x))).toEqual(stream.slice(3 * DAY).map((x) => fresh.score('s', config, x)));

    const b = new StreamScorers();
    stream.slice(0, 200).forEach((x) => b.score('s', CONFIGS.smoothed, x));
    const wider = { ...CONFIGS.smoothed, shortWindow: 2 };
    const r2 = new StreamScorers();
    r2.restore('s', wider, throughWire(b.snapshot('s')));
    expect(r2.snapshot('s')).toBeUndefined();
  });
});
