import { Counter, type Registry } from 'prom-client';
import { REJECT_REASONS, type AlertState, type RejectReason } from '../pipeline/types.js';

const ALERT_STATES: readonly AlertState[] = ['open', 'update', 'resolved'];

export type EventOutcome = 'scored' | 'warming_up' | 'rejected';

/** Counters of events, alerts, dead-lettered events and folded stream labels. */
export class ThroughputCounters {
  private readonly events: Record<EventOutcome, Counter.Internal>;
  readonly alerts: Counter<'stream' | 'state'>;
  readonly invalid: Counter<'reason'>;
  readonly folded: Counter;

  constructor(registry: Registry) {
    const events = new Counter({
      name: 'anomalyd_events_total',
      help: 'Events that went through the pipeline, by outcome: scored (completed a window), warming_up (stream has fewer than seqStep points yet) or rejected (dead-lettered).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.events = {
      scored: events.labels('scored'),
      warming_up: events.labels('warming_up'),
      rejected: events.labels('rejected'),
    };
    for (const child of Object.values(this.events)) child.inc(0);
    this.alerts = new Counter({
      name: 'anomalyd_alerts_total',
      help: 'Alert messages published, by stream and state (open, update, resolved).',
      labelNames: ['stream', 'state'],
      registers: [registry],
    });
    this.invalid = new Counter({
      name: 'anomalyd_invalid_events_total',
      help: 'Events rejected and sent to the dead-letter topic, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
    // Zero-initialised so rate() answers 0, not "no data", before the first rejection.
    for (const reason of REJECT_REASONS) this.invalid.inc({ reason }, 0);
    this.folded = new Counter({
      name: 'anomalyd_stream_labels_folded_total',
      help: 'Distinct streams folded into stream="__other__" because the metrics.maxStreamLabels cap was reached.',
      registers: [registry],
    });
    this.folded.inc(0);
  }

  countEvents(outcome: EventOutcome, n: number): void {
    if (n > 0) this.events[outcome].inc(n);
  }

  /** Creates the stream's alert series at 0, so alert rates read 0 rather than absent until its first alert. */
  initAlerts(stream: string): void {
    for (const state of ALERT_STATES) this.alerts.inc({ stream, state }, 0);
  }

  removeAlerts(stream: string): void {
    for (const state of ALERT_STATES) this.alerts.remove({ stream, state });
  }

  countAlert(stream: string, state: AlertState): void {
    this.alerts.inc({ stream, state });
  }

  countInvalid(reason: RejectReason, n: number): void {
    if (n > 0) this.invalid.inc({ reason }, n);
  }
}
