import { Counter, type Registry } from 'prom-client';

/** What the daemon set aside to keep going: parked messages, evicted streams, restarted scoring workers. */
export class FaultCounters {
  readonly parked: Counter<'topic' | 'reason'>;
  readonly evicted: Counter;
  readonly workerRestarts: Counter<'model' | 'cause'>;

  constructor(registry: Registry) {
    this.parked = new Counter({
      name: 'anomalyd_messages_parked_total',
      help: 'Outgoing alerts and dead letters not delivered because they can never be: reason too_large (over daemon.maxMessageBytes) or rejected_by_broker (a non-retriable send error).',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    });
    this.evicted = new Counter({
      name: 'anomalyd_streams_evicted_total',
      help: 'Streams whose state was dropped after daemon.idleEvictAfterMs without an event (event time).',
      registers: [registry],
    });
    this.evicted.inc(0);
    this.workerRestarts = new Counter({
      name: 'anomalyd_scoring_worker_restarts_total',
      help: 'Scoring worker threads restarted, by model and cause (crash or timeout); the batch they held is scored again.',
      labelNames: ['model', 'cause'],
      registers: [registry],
    });
  }
}
