import { readEpsSeries } from './reference-model.js';

export const T0 = Date.UTC(2026, 0, 1);
/** The reference weeks' own cadence: a day is 48 rows, so the sources' context learns and their spikes can alert. */
export const STEP_MS = 1_800_000;
const ROWS_PER_DAY = 86_400_000 / STEP_MS;

export interface TrafficShape {
  streams: number;
  /** Events per stream. */
  rows: number;
}

export function streamId(i: number): string {
  return `host-${String(i).padStart(6, '0')}`;
}

/**
 * Deterministic EPS traffic: stream i follows one of the four shared EPS series (shifted by i), and
 * every 50th stream gets a ×6 spike in the middle of its rows so that alerts flow.
 */
export class EpsTraffic {
  private readonly series = ['timeseries1.csv', 'timeseries2.csv', 'timeseries3.csv', 'timeseries4.csv'].map(readEpsSeries);
  readonly spikeRow: number;

  constructor(readonly shape: TrafficShape) {
    this.spikeRow = Math.floor(shape.rows / 2);
  }

  get events(): number {
    return this.shape.streams * this.shape.rows;
  }

  get spikedStreams(): number {
    return Math.ceil(this.shape.streams / 50);
  }

  value(stream: number, row: number): number {
    const s = this.series[stream % 4];
    // Looped over whole days, so the daily rhythm runs on across the loop instead of jumping by part of a day.
    const period = Math.max(ROWS_PER_DAY, s.length - (s.length % ROWS_PER_DAY));
    const v = s[(stream * 7 + row) % period];
    return stream % 50 === 0 && row === this.spikeRow ? v * 6 : v;
  }

  /** The JSON body of event (stream, row), as a SOC pipeline would send it (ISO timestamp). */
  json(stream: number, row: number): string {
    return `{"stream":"${streamId(stream)}","ts":"${new Date(T0 + row * STEP_MS).toISOString()}","value":${this.value(stream, row)}}`;
  }
}
