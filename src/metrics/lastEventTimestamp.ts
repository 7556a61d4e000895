import { Gauge, type Registry } from 'prom-client';
import type { StreamActivity } from './streamActivity.js';

/** `anomalyd_stream_last_event_timestamp_seconds`: what the silent-source rule watches. */
export function registerLastEventTimestamp(registry: Registry, activity: StreamActivity): Gauge<'stream'> {
  return new Gauge({
    name: 'anomalyd_stream_last_event_timestamp_seconds',
    help: 'Event timestamp (Unix seconds) of the newest scored event of the stream. stream="__other__": that of the folded stream most overdue in cadences.',
    labelNames: ['stream'],
    registers: [registry],
    collect() {
      // Rebuilt at each scrape: streams dropped on a partition revocation must disappear.
      this.reset();
      activity.forEachStream((stream, s) => {
        if (!Number.isNaN(s.lastEventMs)) this.set({ stream }, s.lastEventMs / 1000);
      });
    },
  });
}
