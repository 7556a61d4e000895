import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anomalyd } from './support/cli.js';
import { sharedDir } from './support/daemon-process.js';

const nab = join(sharedDir, 'nab');
const files = ['realAdExchange/exchange-3_cpc_results.csv', 'realAdExchange/exchange-3_cpm_results.csv'];
const out = mkdtempSync(join(tmpdir(), 'anomalyd-nab-run-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const csvRows = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(','));
/** Window limits as the timestamp text of data files ("2011-07-15 00:00:00"). */
const windowsOf = (name: string): [string, string][] => {
  const all = JSON.parse(readFileSync(join(nab, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  return all[name].map(([s, e]) => [s.slice(0, 19), e.slice(0, 19)]);
};

describe('anomalyd nab run', () => {
  const run = anomalyd([
    'nab', 'run',
    '--data', join(nab, 'data'),
    '--windows', join(nab, 'labels', 'combined_windows.json'),
    '--out', out,
    '--files', 'realAdExchange/exchange-3_*',
    '--epochs', '10',
    '--plot-file', files[0],
    '--json',
  ]);

  it('exits 0 and reports progress per file', () => {
    expect(run.code, run.stderr).toBe(0);
    for (const f of files) expect(run.stderr).toContain(f);
  });

  it('writes a NAB results file per data file: every row, scores in [0, 1], 0 before the first full window, labels from the windows', () => {
    for (const name of files) {
      const [category, file] = name.split('/');
      const data = csvRows(join(nab, 'data', name)).slice(1);
      const results = csvRows(join(out, 'anomalyd', category, `anomalyd_${file}`));
      expect(results[0]).toEqual(['timestamp', 'value', 'anomaly_score', 'raw_score', 'label']);
      const rows = results.slice(1);
      expect(rows).toHaveLength(data.length);
      const windows = windowsOf(name);
      expect(windows.length).toBeGreaterThan(0);
      let labelled = 0;
      rows.forEach(([ts, value, score, , label], i) => {
        expect(ts).toBe(data[i][0]);
        expect(Number(value)).toBe(Number(data[i][1]));
        const s = Number(score);
        expect(s >= 0 && s <= 1, `row ${i} score ${score}`).toBe(true);
        if (i < 4) expect(s).toBe(0);
        const inside = windows.some(([start, end]) => start <= ts && ts <= end);
        expect(label, `row ${i} (${ts}) label`).toBe(inside ? '1' : '0');
        if (inside) labelled++;
      });
      expect(labelled).toBeGreaterThan(0);
      // The detector reacts to the data: scores are not constant after the probationary period.
      expect(new Set(rows.slice(300).map((r) => r[2])).size).toBeGreaterThan(10);
    }
  });

  it('prints the three NAB profiles with finite scores', () => {
    const report = JSON.parse(run.stdout) as { files: number; profiles: Record<string, { normalizedScore: number; threshold: number; windows: { scorable: number } }> };
    expect(report.files).toBe(2);
    expect(Object.keys(report.profiles).sort()).toEqual(['reward_low_FN_rate', 'reward_low_FP_rate', 'standard']);
    for (const p of Object.values(report.profiles)) {
      expect(Number.isFinite(p.normalizedScore)).toBe(true);
      expect(p.normalizedScore).toBeLessThanOrEqual(100);
      expect(p.windows.scorable).toBeGreaterThan(0);
    }
  });

  it('charts the --plot-file file as a PNG', () => {
    const png = join(out, 'anomalyd_exchange-3_cpc_results.png');
    expect(run.stderr).toContain(`chart: ${png}`);
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(10_000);
  });

  it('names the file when the windows lack an entry for a data file', () => {
    const bad = anomalyd(['nab', 'run', '--data', join(nab, 'data'), '--windows', join(nab, 'oracle', 'thresholds.json'), '--out', out, '--files', files[0]]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('thresholds.json');
  });
});
