import { Histogram, type Registry } from 'prom-client';

/** Inference work and end-to-end latency histograms. */
export class InferenceHistograms {
  readonly batchSize: Histogram<'model' | 'backend'>;
  readonly duration: Histogram<'model' | 'backend'>;
  readonly eventToScore: Histogram;

  constructor(registry: Registry) {
    this.batchSize = new Histogram({
      name: 'anomalyd_inference_batch_size',
      help: 'Windows per model predict call.',
      labelNames: ['model', 'backend'],
      buckets: [1, 4, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'anomalyd_inference_duration_seconds',
      help: 'Wall time of one model predict call (one micro-batch of windows).',
      labelNames: ['model', 'backend'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.eventToScore = new Histogram({
      name: 'anomalyd_event_to_score_latency_seconds',
      help: 'Time from receiving an event (Kafka fetch) to its window being scored.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }
}
