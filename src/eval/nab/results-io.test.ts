import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  readProfilesFile,
  readResultsDir,
  readThresholdsFile,
  readWindowsFile,
  toCorpusInputs,
} from './results-io.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'nab-io-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('readResultsDir', () => {
  it('reads <detector>/<category>/<detector>_<file>.csv and skips the per-profile summaries', () => {
    write('det/cat/det_a.csv', 'timestamp,value,anomaly_score\n2014-01-01 00:00:00,5,0.25\n2014-01-01 00:05:00,6,1\n');
    write('det/det_standard_scores.csv', 'Detector,Profile\n');
    const [results] = readResultsDir(dir);
    expect(results.detector).toBe('det');
    expect(results.files).toHaveLength(1);
    expect(results.files[0]).toMatchObject({
      name: 'cat/a.csv',
      timestamps: [Date.UTC(2014, 0, 1, 0, 0), Date.UTC(2014, 0, 1, 0, 5)],
      anomalyScores: [0.25, 1],
    });
  });

  it('names the file and line of a bad row', () => {
    const file = write('det/cat/det_a.csv', 'timestamp,anomaly_score\n2014-01-01 00:00:00,0.1\n2014-01-01 00:05:00,high\n');
    expect(() => readResultsDir(dir)).toThrow(`${file}: line 3: anomaly_score "high" is not a number`);
    write('det/cat/det_a.csv', 'timestamp,anomaly_score\nsoon,0.1\n');
    expect(() => readResultsDir(dir)).toThrow(/line 2: "soon" is not a timestamp/);
  });

  it('rejects a missing column, a misnamed file and a missing directory', () => {
    const file = write('det/cat/det_a.csv', 'timestamp,score\n2014-01-01 00:00:00,0.1\n');
    expect(() => readResultsDir(dir)).toThrow(`${file}: header "timestamp,score" lacks a timestamp and an anomaly_score column`);
    rmSync(file);
    write('det/cat/other_a.csv', 'timestamp,anomaly_score\n');
    expect(() => readResultsDir(dir)).toThrow(/must start with "det_"/);
    expect(() => readResultsDir(path.join(dir, 'nope'))).toThrow(/no such results directory/);
  });
});

describe('label and config files', () => {
  it('reads windows and pairs them with results', () => {
    const windowsFile = write('windows.json', JSON.stringify({ 'cat/a.csv': [['2014-01-01 00:05:00.000000', '2014-01-01 00:05:00.000000']] }));
    write('res/det/cat/det_a.csv', 'timestamp,anomaly_score\n2014-01-01 00:00:00,0\n2014-01-01 00:05:00,1\n');
    write('res/det/cat/det_b.csv', 'timestamp,anomaly_score\n2014-01-01 00:00:00,0\n');
    const windows = readWindowsFile(windowsFile);
    expect(windows.get('cat/a.csv')).toEqual([[Date.UTC(2014, 0, 1, 0, 5), Date.UTC(2014, 0, 1, 0, 5)]]);
    const [results] = readResultsDir(path.join(dir, 'res'));
    expect(() => toCorpusInputs(results, windows, windowsFile)).toThrow(`${windowsFile} has no entry "cat/b.csv"`);
  });

  it('reports malformed windows, profiles and thresholds with the file name', () => {
    const w = write('w.json', JSON.stringify({ 'cat/a.csv': [['2014-01-01 00:05:00', 'later']] }));
    expect(() => readWindowsFile(w)).toThrow(`${w}: cat/a.csv window 1: end "later" is not a timestamp`);
    const bad = write('bad.json', '{');
    expect(() => readWindowsFile(bad)).toThrow(/bad\.json: the windows file is not valid JSON/);

    const p = write('p.json', JSON.stringify({ standard: { CostMatrix: { tpWeight: 1, fpWeight: 'x', fnWeight: 1 } } }));
    expect(() => readProfilesFile(p)).toThrow(/p\.json: not a valid NAB profiles file:\n {2}standard\.CostMatrix\.fpWeight/);
    const good = write('good.json', JSON.stringify({ standard: { CostMatrix: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 } } }));
    expect(readProfilesFile(good)).toEqual({ standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 } });

    const t = write('t.json', JSON.stringify({ det: { standard: { score: -3, threshold: 0.7 } } }));
    expect(readThresholdsFile(t)).toEqual({ det: { standard: 0.7 } });
    const tBad = write('t2.json', JSON.stringify({ det: { standard: { score: -3 } } }));
    expect(() => readThresholdsFile(tBad)).toThrow(/t2\.json: not a valid NAB thresholds file:\n {2}det\.standard\.threshold/);
    expect(() => readThresholdsFile(path.join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the thresholds file/);
  });
});
