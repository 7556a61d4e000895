import { Resvg } from '@resvg/resvg-js';
import { writeFile } from 'node:fs/promises';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec to an SVG string, headless (no browser, no canvas). */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG bytes. Text uses the system fonts (DejaVu on Debian: fonts-dejavu-core). */
export function svgToPng(svg: string, options: { scale?: number; background?: string } = {}): Buffer {
  const resvg = new Resvg(svg, {
    background: options.background ?? 'white',
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Writes a Vega-Lite chart as PNG (or as SVG when the file name ends in .svg). */
export async function writeChart(spec: TopLevelSpec, file: string): Promise<void> {
  const svg = await vegaLiteToSvg(spec);
  await writeFile(file, file.toLowerCase().endsWith('.svg') ? svg : svgToPng(svg));
}
