import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModel, TrainError, type EpochProgress } from './train.js';

let dir: string;
let daily: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anomalyd-train-'));
  daily = join(dir, 'daily.csv');
  // A daily-cycle series like the EPS data: 48 points a day, 3 days.
  writeFileSync(daily, Array.from({ length: 144 }, (_, i) => (9000 + 5000 * Math.sin((2 * Math.PI * i) / 48)).toFixed(2)).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const small = { kind: 'gru' as const, units: 4, epochs: 3, seqStep: 5, backend: 'wasm' as const };

async function weightsOf(model: tf.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
}

describe('trainModel', () => {
  it('is reproducible with a seed: identical weights, losses and threshold', async () => {
    const a = await trainModel({ ...small, input: daily, seed: 7 });
    const b = await trainModel({ ...small, input: daily, seed: 7 });
    expect(await weightsOf(b.model)).toEqual(await weightsOf(a.model));
    expect(b.history).toEqual(a.history);
    expect(b.meta.threshold.value).toBe(a.meta.threshold.value);
    const c = await trainModel({ ...small, input: daily, seed: 8 });
    expect(await weightsOf(c.model)).not.toEqual(await weightsOf(a.model));
    for (const r of [a, b, c]) r.model.dispose();
  });

  it('holds out the last windows for validation and calibrates the threshold on them', async () => {
    const progress: EpochProgress[] = [];
    const r = await trainModel({ ...small, input: daily, seed: 1, validationSplit: 0.1 }, (p) => progress.push(p));
    // 144 rows → 140 windows; 14 held out; 4 boundary windows share rows with them and are dropped.
    expect(r.meta.training.windows).toBe(140 - 14 - 4);
    expect(r.meta.threshold.calibration).toMatchObject({ method: 'max', windows: 14 });
    expect(r.calibrationScores.length).toBe(14);
    expect(r.meta.threshold.value).toBe(Math.max(...r.calibrationScores));
    const p = await trainModel({ ...small, input: daily, seed: 1, threshold: { method: 'percentile', q: 0.5 } });
    const sorted = Array.from(p.calibrationScores).sort((x, y) => x - y);
    expect(p.meta.threshold.value).toBeCloseTo((sorted[6] + sorted[7]) / 2, 12);
    p.model.dispose();
    expect(progress.map((p) => p.epoch)).toEqual([1, 2, 3]);
    expect(progress.every((p) => p.valLoss !== null && p.epochs === 3)).toBe(true);
    const best = progress.reduce((x, y) => (y.valLoss! < x.valLoss! ? y : x));
    expect(r.meta.training.bestEpoch).toBe(best.epoch);
    expect(r.meta.training.finalValLoss).toBe(best.valLoss);
    // The scaler is fitted on the training rows only (the first 126 rows).
    expect(r.meta.scaler.kind).toBe('minmax');
    expect(r.meta.training.summary.max[0]).toBeCloseTo(14000, 0);
    r.model.dispose();
  });

  it('calibrates on training windows without a validation split, and a dense model trains too', async () => {
    const r = await trainModel({ ...small, kind: 'dense', seqStep: 1, units: 8, input: daily, seed: 2, validationSplit: 0, threshold: { method: 'max' } });
    expect(r.meta.threshold.calibration.source).toBe('training windows (144)');
    expect(r.meta.threshold.value).toBe(Math.max(...r.calibrationScores));
    expect(r.meta.training.finalValLoss).toBeNull();
    r.model.dispose();
  });

  it('names the file when there are too few rows for a window or for a validation split', async () => {
    const tiny = join(dir, 'tiny.csv');
    writeFileSync(tiny, '1\n2\n3\n');
    await expect(trainModel({ ...small, input: tiny })).rejects.toThrow(new TrainError(`${tiny}: 3 row(s) is too few for one window of seqStep 5`));
    const few = join(dir, 'few.csv');
    writeFileSync(few, '1\n2\n3\n4\n5\n6\n7\n');
    await expect(trainModel({ ...small, input: few })).rejects.toThrow(/few\.csv: 7 row\(s\) give 3 window\(s\) of seqStep 5, too few to hold out 0\.1/);
  });
});
