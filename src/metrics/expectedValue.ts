import { Gauge, type Registry } from 'prom-client';
import type { StreamSeries } from './streamSeries.js';

/** `anomalyd_stream_expected_value`: what the stream's seasonal context expected, beside `anomalyd_stream_last_value`. */
export function registerExpectedValue(registry: Registry, series: StreamSeries): Gauge<'stream' | 'model'> {
  return new Gauge({
    name: 'anomalyd_stream_expected_value',
    help: 'Expected value of the stream\'s latest point in raw units, from its seasonal context; absent while the stream is still learning it. stream="__other__": that of the folded stream with the highest score (the one anomalyd_stream_last_value shows).',
    labelNames: ['stream', 'model'],
    registers: [registry],
    collect() {
      this.reset();
      series.forEachSeries(
        (labels, s) => {
          if (!Number.isNaN(s.expected)) this.set(labels, s.expected);
        },
        (labels, f) => {
          if (!Number.isNaN(f.top.expected)) this.set(labels, f.top.expected);
        },
      );
    },
  });
}
