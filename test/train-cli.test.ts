import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../src/model/backend.js';
import { loadScoringModel } from '../src/model/scorer.js';
import { anomalyd } from './support/cli.js';

let dir: string;
let input: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anomalyd-train-cli-'));
  // Two days of a daily cycle, 48 points a day, like the EPS data.
  input = join(dir, 'eps.csv');
  writeFileSync(input, Array.from({ length: 96 }, (_, i) => (8000 + 4000 * Math.sin((2 * Math.PI * i) / 48)).toFixed(2)).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fast = ['--units', '4', '--epochs', '2', '--backend', 'wasm', '--seed', '3'];

describe('anomalyd train', () => {
  it('writes a model directory that loads and scores, with a loss plot and per-epoch progress on stderr', async () => {
    const out = join(dir, 'model');
    const plot = join(dir, 'loss.png');
    const r = anomalyd(['train', '--input', input, '--out', out, ...fast, '--threshold', 'mean+k*std:3', '--plot', plot]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^epoch 1\/2 loss=\S+ val_loss=\S+/m);
    expect(r.stderr).toMatch(/^epoch 2\/2 /m);
    expect(r.stdout).toContain(`${out}: gru seqStep 5 features 1 [value]`);
    expect(readFileSync(plot).subarray(1, 4).toString()).toBe('PNG');
    for (const f of ['model.json', 'weights.bin', 'anomalyd.json']) expect(existsSync(join(out, f))).toBe(true);

    await selectBackend('cpu');
    const model = await loadScoringModel('cli', out);
    expect(model.meta).toMatchObject({ kind: 'gru', seqStep: 5, features: 1, featureNames: ['value'] });
    expect(model.meta.threshold.calibration).toMatchObject({ method: 'mean+k*std', k: 3, windows: 10 });
    expect(model.meta.training).toMatchObject({ source: input, rows: 96, epochs: 2, seed: 3, units: 4 });
    const scores = await model.score(new Float32Array(10).fill(0.5), 2);
    expect(scores.mse.length).toBe(2);
    expect(Number.isFinite(scores.mse[0])).toBe(true);
    model.dispose();
  });

  it('exits 2 naming the file when it is missing', () => {
    const missing = join(dir, 'missing.csv');
    const r = anomalyd(['train', '--input', missing, '--out', join(dir, 'm1'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`anomalyd: ${missing}: cannot read: no such file`);
    expect(existsSync(join(dir, 'm1'))).toBe(false);
  });

  it('exits 2 naming the file and line of a non-numeric row', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, '100\n200\nn/a\n300\n');
    const r = anomalyd(['train', '--input', bad, '--out', join(dir, 'm2'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`anomalyd: ${bad}:3: non-numeric value "n/a" in column "value"`);
  });

  it('exits 2 naming the file when there are too few rows', () => {
    const few = join(dir, 'few.csv');
    writeFileSync(few, '1\n2\n3\n');
    const r = anomalyd(['train', '--input', few, '--out', join(dir, 'm3'), ...fast]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`anomalyd: ${few}: 3 row(s) is too few for one window of seqStep 5`);
  });

  it('rejects a bad threshold method and an unknown column', () => {
    const t = anomalyd(['train', '--input', input, '--out', join(dir, 'm4'), ...fast, '--threshold', 'median']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--threshold: unknown threshold method "median"');
    const c = anomalyd(['train', '--input', input, '--out', join(dir, 'm5'), ...fast, '--columns', 'cpu']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(`${input}: no column named "cpu" (columns: value)`);
  });
});
