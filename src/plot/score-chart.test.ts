import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vegaLiteToSvg } from './render.js';
import { scoreChartSpec, spansDecades, writeScoreChart, type ScoreChartInput } from './score-chart.js';

const dir = mkdtempSync(join(tmpdir(), 'anomalyd-score-chart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 60 rows of a slow wave, a spike at row 30, window 5: rows 0..3 unscored.
const values = Array.from({ length: 60 }, (_, i) => [1000 + 200 * Math.sin(i / 5) + (i === 30 ? 3000 : 0)]);
const scores = values.map((_, i) => (i < 4 ? null : i >= 30 && i <= 34 ? 0.5 : 0.0004 + 0.0001 * Math.cos(i)));
const base: ScoreChartInput = {
  title: 'spikes.csv — model eps-gru',
  subtitle: 'threshold 0.002',
  timestamps: null,
  values,
  columns: ['eps'],
  scores,
  threshold: 0.002,
  episodes: [{ start: 30, end: 34 }],
  labelRanges: [{ start: 30, end: 30 }],
};

type Panel = { layer: { data: { values: Record<string, unknown>[] }; encoding: Record<string, { type?: string; scale?: { type?: string } }> }[] };
const panels = (input: ScoreChartInput) => (scoreChartSpec(input) as unknown as { vconcat: Panel[] }).vconcat;

describe('scoreChartSpec', () => {
  it('stacks values over scores, both with the shaded episode and labelled range', () => {
    const [top, bottom] = panels(base);
    for (const panel of [top, bottom]) {
      const kinds = panel.layer[0].data.values.map((v) => v.kind);
      expect(kinds).toEqual(['alert episode', 'labelled anomaly']);
    }
    expect(top.layer[1].data.values).toHaveLength(60);
    // Unscored rows are left out of the score line; the threshold is its own rule.
    expect(bottom.layer[1].data.values).toHaveLength(56);
    expect(bottom.layer[2].data.values).toEqual([{ series: 'threshold', y: 0.002 }]);
    expect(bottom.layer[1].encoding.x.type).toBe('quantitative');
  });

  it('uses time on the x axis when every row has a timestamp', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const [top] = panels({ ...base, timestamps: values.map((_, i) => t0 + i * 60_000) });
    expect(top.layer[1].encoding.x.type).toBe('temporal');
    expect(top.layer[1].data.values[0].x).toBe(t0);
    const [partial] = panels({ ...base, timestamps: values.map((_, i) => (i === 3 ? null : t0 + i)) });
    expect(partial.layer[1].encoding.x.type).toBe('quantitative');
  });

  it('log-scales the score axis when scores span three decades, unless told otherwise', () => {
    expect(spansDecades(scores)).toBe(true); // 0.0003 .. 0.5
    expect(spansDecades([null, 0.1, 0.5, 0])).toBe(false);
    expect(panels(base)[1].layer[1].encoding.y.scale?.type).toBe('log');
    expect(panels({ ...base, logScore: false })[1].layer[1].encoding.y.scale?.type).toBeUndefined();
  });

  it('renders the title, axes and legend as text', async () => {
    const svg = await vegaLiteToSvg(scoreChartSpec(base));
    for (const text of ['spikes.csv — model eps-gru', 'threshold 0.002', 'anomaly score (log)', 'labelled anomaly', 'alert episode', '>eps<', '>row<']) {
      expect(svg).toContain(text);
    }
  });

  it('writes a PNG, and an SVG when the name says so', async () => {
    await writeScoreChart(base, join(dir, 'chart.png'));
    await writeScoreChart({ ...base, labelRanges: undefined }, join(dir, 'chart.svg'));
    const png = readFileSync(join(dir, 'chart.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(960);
    const svg = readFileSync(join(dir, 'chart.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).not.toContain('labelled anomaly');
  });
});
