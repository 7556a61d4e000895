import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModelMetadata } from '../model/metadata.js';
import { createScoringModel } from '../model/scorer.js';
import { trainModel } from '../model/train.js';
import { toPipelineModel } from './load-models.js';
import { replaySeries } from './replay.js';

const HOUR = 3_600_000;
const start = Date.parse('2014-07-07T00:00:00Z');
// Hourly samples of a daily cycle: high by day, low by night.
const daily = (i: number) => (i % 24 >= 8 && i % 24 < 20 ? 100 : 10);

describe('a model trained with calendar features', () => {
  it('records them, and the pipeline appends them to each event and scores the stream value only', async () => {
    const rows = Array.from({ length: 24 * 6 }, (_, i) => [daily(i)]);
    const timestamps = rows.map((_, i) => start + i * HOUR);
    const { model, meta } = await trainModel({
      input: { file: 'daily.csv', columns: ['value'], rows, timestamps },
      kind: 'dense',
      seqStep: 4,
      units: 8,
      epochs: 3,
      seed: 1,
      augment: { timeOfDay: true },
      threshold: { method: 'max' },
      backend: 'cpu',
    });
    expect(meta.augment).toEqual({ timeOfDay: true });
    expect(meta.features).toBe(3);
    expect(meta.featureNames).toEqual(['value', 'time_of_day_sin', 'time_of_day_cos']);
    expect(meta.scaler.a).toEqual([10, 0, 0]);
    expect(meta.scaler.b).toEqual([100, 1, 1]);
    const parsed = parseModelMetadata(JSON.parse(JSON.stringify(meta)));
    expect(parsed.ok && parsed.meta.augment).toEqual({ timeOfDay: true });

    const scoring = createScoringModel('daily', '(memory)', model, meta);
    try {
      const pipelineModel = toPipelineModel(scoring, 'cpu');
      expect(pipelineModel.augment).toEqual({ timeOfDay: true });
      const result = await replaySeries({ file: 'daily.csv', columns: ['value'], rows, timestamps }, pipelineModel, { threshold: 1 });
      expect(result.rejected).toEqual([]);
      const scored = result.points.filter((p) => p.rawScore !== null);
      expect(scored).toHaveLength(rows.length - 3);
      // The calibrated threshold (max over the 15 held-out windows) is on the same scale as the
      // pipeline's score: the error of the value alone.
      const heldOut = scored.slice(-15).map((p) => p.rawScore!);
      expect(meta.threshold.calibration.windows).toBe(15);
      expect(meta.threshold.value).toBeCloseTo(Math.max(...heldOut), 6);
      await expect(replaySeries({ file: 'x.csv', columns: ['value'], rows, timestamps: rows.map(() => null) }, pipelineModel)).rejects.toThrow(
        /x\.csv: row 1 has no timestamp/,
      );
      await expect(replaySeries({ file: 'y.csv', columns: ['a', 'b'], rows: rows.map((r) => [r[0], 0]), timestamps }, pipelineModel)).rejects.toThrow(
        /expects 1 \(it adds time_of_day_sin, time_of_day_cos itself\)/,
      );
    } finally {
      scoring.dispose();
    }
  });

  it('training needs a timestamp on every row', async () => {
    await expect(
      trainModel({ input: { file: 'n.csv', columns: ['value'], rows: [[1], [2], [3], [4]], timestamps: [0, null, 2, 3] }, augment: { timeOfDay: true }, backend: 'cpu' }),
    ).rejects.toThrow(/n\.csv: row 2 has no timestamp/);
  });

  it('metadata without calendar features (the shipped EPS model) still parses, and a bad augment is named', () => {
    const meta = JSON.parse(readFileSync('models/eps-gru/anomalyd.json', 'utf8'));
    const ok = parseModelMetadata(meta);
    expect(ok.ok && ok.meta.augment).toBeUndefined();
    const bad = parseModelMetadata({ ...meta, augment: { timeOfDay: true } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.join('\n')).toMatch(/augment: adds 2 calendar feature\(s\)/);
  });
});
