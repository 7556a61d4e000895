import { Gauge, type Registry } from 'prom-client';

/** State of the Kafka consumer and of the stream table. */
export class ConsumerGauges {
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly activeStreams: Gauge;

  constructor(registry: Registry) {
    this.lag = new Gauge({
      name: 'anomalyd_consumer_lag',
      help: 'Messages between the partition high watermark and the consumer group committed offset, per assigned partition.',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    });
    this.activeStreams = new Gauge({
      name: 'anomalyd_active_streams',
      help: 'Streams with a rolling window held in memory.',
      registers: [registry],
    });
    this.activeStreams.set(0);
  }
}
