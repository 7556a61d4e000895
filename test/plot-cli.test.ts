import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { anomalyd } from './support/cli.js';
import { repo } from './support/daemon-process.js';

let dir: string;
let model: string;
let labelled: string;
let timed: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anomalyd-plot-cli-'));
  const values = readFileSync('../shared/data/eps/timeseries4.csv', 'utf8').split('\n').filter((l) => l.trim() !== '');
  const spikes = new Map([
    [10, 12000],
    [50, 7000],
    [90, 10000],
    [150, 7000],
  ]);
  labelled = join(dir, 'spikes.csv');
  writeFileSync(labelled, ['value,label', ...values.map((v, i) => `${spikes.get(i) ?? v},${spikes.has(i) ? 1 : 0}`)].join('\n') + '\n');
  // The same series with half-hourly timestamps and no labels.
  timed = join(dir, 'timed.csv');
  const t0 = Date.UTC(2024, 0, 1);
  writeFileSync(timed, ['timestamp,value', ...values.map((v, i) => `${new Date(t0 + i * 1_800_000).toISOString()},${spikes.get(i) ?? v}`)].join('\n') + '\n');
  model = join(dir, 'eps-gru');
  // The chart does not need a good model; a few epochs keep this quick.
  await promisify(execFile)(process.execPath, [join(repo, 'bin', 'anomalyd.js'), 'train', '--input', '../shared/data/eps/timeseries1.csv', '--out', model, '--seed', '7', '--epochs', '5'], {
    cwd: repo,
    env: { ...process.env, ANOMALYD_LOG_FORMAT: 'json' },
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Checks the PNG signature and IHDR chunk; returns the image size. */
function pngSize(file: string): { width: number; height: number; bytes: number } {
  const png = readFileSync(file);
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), bytes: statSync(file).size };
}

describe('--plot', () => {
  it('replay writes a PNG chart of a real replay', () => {
    const out = join(dir, 'replay.png');
    const r = anomalyd(['replay', '--model', model, '--input', labelled, '--plot', out, '--alerts', join(dir, 'alerts.ndjson')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('"msg":"chart written"');
    const png = pngSize(out);
    // Two panels 960 wide, drawn at 2x.
    expect(png.width).toBeGreaterThan(1900);
    expect(png.height).toBeGreaterThan(700);
    expect(png.bytes).toBeGreaterThan(50_000);
  });

  it('replay writes SVG when the name ends in .svg, with title, legend and labelled ranges', () => {
    const out = join(dir, 'replay.svg');
    const r = anomalyd(['replay', '--model', model, '--input', labelled, '--plot', out, '--alerts', join(dir, 'alerts2.ndjson')]);
    expect(r.code, r.stderr).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toMatch(/^<svg/);
    for (const text of ['spikes.csv — model eps-gru', 'alert episode', 'labelled anomaly', 'anomaly score', 'threshold', '>row<']) expect(svg).toContain(text);
  });

  it('puts time on the x axis when the file has timestamps, and leaves out labels it does not have', () => {
    const out = join(dir, 'timed.svg');
    const r = anomalyd(['replay', '--model', model, '--input', timed, '--plot', out, '--alerts', join(dir, 'alerts3.ndjson')]);
    expect(r.code, r.stderr).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('>time<');
    expect(svg).not.toContain('>row<');
    expect(svg).not.toContain('labelled anomaly');
  });

  it('evaluate writes the chart and still prints its report', () => {
    const out = join(dir, 'evaluate.png');
    const r = anomalyd(['evaluate', '--model', model, '--input', labelled, '--json', '--plot', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).episodes.labelledRanges).toBe(4);
    const png = pngSize(out);
    expect(png.width).toBeGreaterThan(1900);
    expect(png.bytes).toBeGreaterThan(50_000);
  });
});
