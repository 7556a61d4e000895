import { Gauge, type Registry } from 'prom-client';
import type { StreamActivity } from './streamActivity.js';

/** `anomalyd_stream_episode_open{stream,kind}`: 1 from an episode's `open` alert to its `resolved` one. */
export function registerEpisodeOpen(registry: Registry, activity: StreamActivity): Gauge<'stream' | 'kind'> {
  return new Gauge({
    name: 'anomalyd_stream_episode_open',
    help: 'Alert episodes of this kind open on the stream (1 between the open and the resolved alert, else 0); kind="silence" while the stream is silent. A kind appears at the stream\'s first episode of that kind. stream="__other__": 1 when any folded stream has one open.',
    labelNames: ['stream', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      activity.forEachStream((stream, s) => {
        for (const kind of s.episodeKinds) {
          let open = 0;
          for (const k of s.openEpisodes.values()) if (k === kind) open = 1;
          this.set({ stream, kind }, open);
        }
      });
    },
  });
}
