import { Gauge, type Registry } from 'prom-client';
import type { StreamActivity } from './streamActivity.js';

/** `anomalyd_stream_cadence_seconds`: how often the stream reports, as the detector learned it. */
export function registerCadence(registry: Registry, activity: StreamActivity): Gauge<'stream'> {
  return new Gauge({
    name: 'anomalyd_stream_cadence_seconds',
    help: 'Learned interval between two events of the stream, in seconds (absent until learned). stream="__other__": that of the folded stream most overdue in cadences.',
    labelNames: ['stream'],
    registers: [registry],
    collect() {
      this.reset();
      activity.forEachStream((stream, s) => {
        if (!Number.isNaN(s.cadenceMs)) this.set({ stream }, s.cadenceMs / 1000);
      });
    },
  });
}
