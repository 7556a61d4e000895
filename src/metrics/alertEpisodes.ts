import { Counter, type Registry } from 'prom-client';
import { ALERT_KINDS } from '../pipeline/types.js';

/**
 * `anomalyd_alert_episodes_total{kind}`: episodes opened, by kind. A counter of its own rather
 * than a `kind` label on `anomalyd_alerts_total`: that one is zero-initialised per stream and
 * state, and a kind label would multiply its series per stream by the number of kinds.
 */
export class AlertEpisodeCounter {
  private readonly counter: Counter<'kind'>;

  constructor(registry: Registry) {
    this.counter = new Counter({
      name: 'anomalyd_alert_episodes_total',
      help: 'Alert episodes opened (open alert messages), by kind: spike, drop, shift, flat, silence, or anomaly when no finer kind applies.',
      labelNames: ['kind'],
      registers: [registry],
    });
    for (const kind of ALERT_KINDS) this.counter.inc({ kind }, 0);
  }

  countOpened(kind: string): void {
    this.counter.inc({ kind });
  }
}
