import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anomalyd } from './support/cli.js';
import { repo, sharedDir } from './support/daemon-process.js';

// Spikes injected into an EPS day cycle, each labelled on its own row. Row-level labels are judged
// against the window ending at that row, so the four windows after a spike (which still contain it)
// count as false positives: row-level precision is low by construction, recall and the episode
// numbers are the meaningful ones here.
const SPIKES = new Map([
  [10, 12000],
  [50, 7000],
  [90, 10000],
  [150, 7000],
]);

let dir: string;
let model: string;
let labelled: string;
let threshold: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anomalyd-evaluate-cli-'));
  const values = readFileSync(join(sharedDir, 'data', 'eps', 'timeseries4.csv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  labelled = join(dir, 'spikes.csv');
  writeFileSync(labelled, ['value,label', ...values.map((v, i) => `${SPIKES.get(i) ?? v},${SPIKES.has(i) ? 1 : 0}`)].join('\n') + '\n');
  // The shipped model: the one whose recipe the reference acceptance test checks.
  model = join(repo, 'models', 'eps-gru');
  threshold = JSON.parse(readFileSync(join(model, 'anomalyd.json'), 'utf8')).threshold.value;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  rows: number;
  scoredRows: number;
  excludedRows: number;
  positives: number;
  threshold: number;
  rowLevel: { tp: number; fp: number; tn: number; fn: number; precision: number; recall: number; f1: number };
  rocAuc: { value: number | null };
  averagePrecision: { value: number | null };
  episodes: { labelledRanges: number; rangesHit: number; alertEpisodes: number; falseAlarms: number; falseAlarmEpisodes: { start: number; end: number }[] };
}

function evaluate(args: string[]): Report {
  const r = anomalyd(['evaluate', '--model', model, '--input', labelled, '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

describe('anomalyd evaluate', () => {
  it('finds every injected spike at row and episode level, and ranks them above normal rows', () => {
    const r = evaluate([]);
    const rows = readFileSync(labelled, 'utf8').trim().split('\n').length - 1;
    // Window of 5: the first 4 rows have no score.
    expect(r).toMatchObject({ rows, scoredRows: rows - 4, excludedRows: 4, positives: 4, threshold });
    expect(r.rowLevel).toMatchObject({ tp: 4, fn: 0, recall: 1 });
    expect(r.rowLevel.tp + r.rowLevel.fp + r.rowLevel.tn + r.rowLevel.fn).toBe(rows - 4);
    expect(r.rowLevel.precision).toBeCloseTo(4 / (4 + r.rowLevel.fp), 12);
    // The windows ending 1..4 rows after the two large spikes (rows 10 and 90) still contain them.
    expect(r.rowLevel.fp).toBeGreaterThanOrEqual(8);
    expect(r.rocAuc.value).toBeGreaterThan(0.9);
    expect(r.averagePrecision.value).toBeGreaterThan(0);
    expect(r.episodes).toMatchObject({ labelledRanges: 4, rangesHit: 4 });
    expect(r.episodes.alertEpisodes).toBe(4 + r.episodes.falseAlarms);
    for (const e of r.episodes.falseAlarmEpisodes) for (const s of SPIKES.keys()) expect(e.start > s + 4 || e.end < s).toBe(true);
  });

  it('applies --threshold to the row and episode numbers but not to the ranking metrics', () => {
    const base = evaluate([]);
    const high = evaluate(['--threshold', '1000']);
    expect(high.threshold).toBe(1000);
    expect(high.rowLevel).toMatchObject({ tp: 0, fp: 0, fn: 4, recall: 0, precision: 0, f1: 0 });
    expect(high.episodes).toMatchObject({ alertEpisodes: 0, rangesHit: 0, falseAlarms: 0 });
    expect(high.rocAuc.value).toBe(base.rocAuc.value);
    expect(high.averagePrecision.value).toBe(base.averagePrecision.value);
  });

  it('prints a table with the excluded rows, the metrics and the confusion matrix', () => {
    const r = anomalyd(['evaluate', '--model', model, '--input', labelled]);
    expect(r.code, r.stderr).toBe(0);
    const json = evaluate([]);
    expect(r.stdout).toContain(`(${json.scoredRows} scored, 4 before the first full window excluded)`);
    expect(r.stdout).toMatch(/^ {2}recall +1\.000$/m);
    expect(r.stdout).toMatch(new RegExp(`^ {2}ROC-AUC +${json.rocAuc.value!.toFixed(3)}$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}labelled ranges hit +4 of 4$/m);
    expect(r.stdout).toMatch(new RegExp(`^label 1 +4 +0$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^label 0 +${json.rowLevel.fp} +${json.rowLevel.tn}$`, 'm'));
  });

  it('exits 2 naming the file when there is no label column', () => {
    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, 'value\n' + Array.from({ length: 20 }, (_, i) => 5000 + i).join('\n') + '\n');
    const r = anomalyd(['evaluate', '--model', model, '--input', plain]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`anomalyd: ${plain}: no label column`);
  });

  it('exits 2 naming the file and line of a label that is not 0 or 1', () => {
    const bad = join(dir, 'bad-label.csv');
    // Header on line 1, a blank line 3 that is skipped: row 3 (label 2) sits on line 5.
    writeFileSync(bad, 'value,label\n5000,0\n\n5100,0\n5200,2\n5300,0\n5400,0\n5500,0\n');
    const r = anomalyd(['evaluate', '--model', model, '--input', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`anomalyd: ${bad}:5: label 2 is not 0 or 1`);
    const word = join(dir, 'word-label.csv');
    writeFileSync(word, 'value,label\n5000,0\n5100,yes\n');
    const w = anomalyd(['evaluate', '--model', model, '--input', word]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain(`anomalyd: ${word}:3: non-numeric value "yes" in column "label"`);
  });

  it('exits 2 when the file has more value columns than the model', () => {
    const two = join(dir, 'two.csv');
    writeFileSync(two, 'a,b,label\n' + Array.from({ length: 10 }, (_, i) => `${i},${i},0`).join('\n') + '\n');
    const r = anomalyd(['evaluate', '--model', model, '--input', two]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`anomalyd: ${two}: has 2 value column(s) (a, b) but model "eps-gru" expects 1`);
  });
});
