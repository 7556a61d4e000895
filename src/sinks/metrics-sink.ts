import type { KafkaSourceRef } from '../kafka/source-ref.js';
import type { AnomalydMetrics } from '../metrics/index.js';
import type { BatchResult } from '../pipeline/types.js';
import type { Sink } from './sink.js';

/** Per-batch Prometheus series: events by outcome, scores, inference, dead letters by reason. */
export class MetricsSink implements Sink {
  readonly name = 'metrics';

  constructor(private readonly metrics: AnomalydMetrics) {}

  async deliver(batch: BatchResult<KafkaSourceRef>): Promise<void> {
    for (const r of batch.rejected) this.metrics.observeRejected(r.reason);
    this.metrics.observeBatch(batch);
  }
}
