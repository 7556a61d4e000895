import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DemoStream {
  id: string;
  series: number[];
  /** Row of the series where this stream starts, so streams are out of phase. */
  offset: number;
  /** Rows (counted from the stream's first event) that get a spike. */
  spikes: Set<number>;
}

/** Points a day at the reference weeks' 30-minute spacing. */
const DAY = 48;

/**
 * The reference EPS weeks beside the repo when present; otherwise a synthetic daily cycle of the same
 * range. Each is cut to whole days, so a stream that loops over its week keeps its daily rhythm (a
 * loop of 9.4 days would shift the rhythm by ten hours at every turn, which the detector rightly flags).
 */
export function loadDemoSeries(dataDir: string): { series: number[][]; from: string } {
  const files = ['timeseries2.csv', 'timeseries3.csv', 'timeseries4.csv'].map((f) => join(dataDir, f));
  const wholeDays = (values: number[]) => values.slice(0, Math.floor(values.length / DAY) * DAY);
  if (files.every((f) => existsSync(f))) {
    return {
      series: files.map((f) => wholeDays(readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map(Number))),
      from: dataDir,
    };
  }
  return { series: [0, 1, 2].map((k) => syntheticEps(9 * DAY, k)), from: 'a synthetic daily cycle (reference data not found)' };
}

/** 30-minute points of a daily cycle between about 3,000 and 16,000 events/s, with mild noise. */
export function syntheticEps(points: number, seed: number): number[] {
  let s = seed + 1;
  const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 600;
  return Array.from({ length: points }, (_, i) => 9500 - 6000 * Math.cos((2 * Math.PI * (i + 8)) / 48) + noise());
}

const kinds = ['fw', 'proxy', 'dns', 'vpn', 'edr', 'mail', 'waf', 'ad'];

export function demoStreams(count: number, series: number[][], spikeStreams: number, spikeRow: number): DemoStream[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${kinds[i % kinds.length]}-${String(Math.floor(i / kinds.length) + 1).padStart(2, '0')}`,
    series: series[i % series.length],
    offset: (i * 37) % 200,
    spikes: i < spikeStreams ? new Set([spikeRow + i * 7]) : new Set<number>(),
  }));
}

/**
 * The value stream `s` sends at its n-th event: a spike multiplies the normal value by 2.5. With
 * `spikeEvery`, the spikes recur every that many events (a live dashboard keeps showing episodes).
 */
export function demoValue(s: DemoStream, n: number, spikeEvery?: number): number {
  const v = s.series[(s.offset + n) % s.series.length];
  const row = spikeEvery === undefined ? n : n % spikeEvery;
  return Math.round((s.spikes.has(row) ? v * 2.5 : v) * 100) / 100;
}
