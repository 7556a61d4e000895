import { readEpsSeries } from './reference-model.js';

export const T0 = Date.UTC(2026, 0, 1);
export const STEP_MS = 30_000;

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
    const v = s[(stream * 7 + row) % s.length];
    return stream % 50 === 0 && row === this.spikeRow ? v * 6 : v;
  }

  /** The JSON body of event (stream, row), as a SOC pipeline would send it (ISO timestamp). */
  json(stream: number, row: number): string {
    return `{"stream":"${streamId(stream)}","ts":"${new Date(T0 + row * STEP_MS).toISOString()}","value":${this.value(stream, row)}}`;
  }
}
