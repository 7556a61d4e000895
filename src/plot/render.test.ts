import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lossChartSpec } from './loss-chart.js';
import { svgToPng, vegaLiteToSvg, writeChart } from './render.js';

const dir = mkdtempSync(join(tmpdir(), 'anomalyd-plot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const history = { loss: [0.2, 0.05, 0.01, 0.012], valLoss: [0.25, 0.06, 0.02, 0.03] };

describe('chart rendering', () => {
  it('renders the loss chart to SVG with both series and the kept epoch', async () => {
    const spec = lossChartSpec(history, { title: 'gru on eps', bestEpoch: 3 });
    const svg = await vegaLiteToSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('gru on eps');
    expect(svg).toContain('validation');
    expect(svg).toContain('training');
  });

  it('rasterises to a PNG of the chart size and writes files', async () => {
    const svg = await vegaLiteToSvg(lossChartSpec(history));
    const png = svgToPng(svg, { scale: 1 });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const width = png.readUInt32BE(16);
    expect(width).toBeGreaterThan(560);
    await writeChart(lossChartSpec(history), join(dir, 'loss.png'));
    await writeChart(lossChartSpec(history), join(dir, 'loss.svg'));
    expect(readFileSync(join(dir, 'loss.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(dir, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
  });
});
