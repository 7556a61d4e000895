import type { AnomalydConfig } from '../config/schema.js';
import { changelogTopic } from '../config/schema.js';
import { compressionType } from '../kafka/compression/codecs.js';
import type { Logger } from '../log.js';
import type { AnomalydMetrics } from '../metrics/index.js';
import type { PartitionProducers } from '../kafka/partition-producers.js';
import { KafkaSink, type KafkaSinkOptions } from './kafka-sink.js';
import { LogSink } from './log-sink.js';
import { MetricsSink } from './metrics-sink.js';
import type { Sink } from './sink.js';

export interface SinkDeps extends Omit<KafkaSinkOptions, 'topics' | 'producers' | 'log' | 'maxMessageBytes' | 'compression' | 'onParked'> {
  producers: PartitionProducers;
  metrics: AnomalydMetrics;
  log: Logger;
}

/**
 * The daemon's exporters, from the config: the Kafka sink (`alerts`, `deadLetter`, `state`
 * topics, exactly-once), and the ones that see a batch only once the Kafka sink committed (or
 * dropped) it: the Prometheus series and the alert log lines.
 */
export function buildSinks(config: AnomalydConfig, deps: SinkDeps): { kafka: KafkaSink; afterKafka: Sink[] } {
  const kafka = new KafkaSink({
    ...deps,
    topics: { alerts: config.alerts.topic, deadLetter: config.deadLetter.topic, changelog: changelogTopic(config) },
    maxMessageBytes: config.daemon.maxMessageBytes,
    compression: compressionType(config.alerts.compression),
    onParked: (p) => deps.metrics.observeParked(p.topic, p.reason),
  });
  // The registry is kept whether or not `metrics.enabled` serves it over HTTP.
  return { kafka, afterKafka: [new MetricsSink(deps.metrics), new LogSink(deps.log)] };
}
