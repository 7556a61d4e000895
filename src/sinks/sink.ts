import type { KafkaSourceRef } from '../kafka/source-ref.js';
import type { BatchResult } from '../pipeline/types.js';

/**
 * Where a scored batch goes: one sink per destination, each with one job. The daemon hands every
 * batch to the Kafka sink as soon as it is scored (the sink queues it per input partition), then,
 * in arrival order and once the Kafka sink resolved, to the other sinks; the batch's events count
 * complete (backpressure) once every sink resolved.
 */
export interface Sink {
  readonly name: string;
  /** Resolves once the batch is where this sink takes it (durably, for the Kafka sink), or deliberately dropped. */
  deliver(batch: BatchResult<KafkaSourceRef>): Promise<void>;
  close?(): Promise<void>;
}
