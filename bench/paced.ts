import { Worker } from 'node:worker_threads';
import type { Kafka } from 'kafkajs';
import type { PipelineModel } from '../src/pipeline/scoring-model.js';
import { benchDaemon, type E2eResult } from './e2e.js';
import type { PacedProducerData } from './paced-producer.js';
import type { Progress } from './progress.js';

export interface PacedResult extends E2eResult {
  rate: number;
}

/** The first seconds of a paced run hold the group join, the first batches of each size and the JIT's warm-up. */
const PACED_WARMUP_MS = 5_000;

/** The daemon consuming live traffic produced at a fixed rate below its capacity: latency without a backlog. */
export async function benchPaced(opts: {
  kafka: Kafka;
  brokers: string[];
  partitions: number;
  streams: number;
  rate: number;
  seconds: number;
  model: PipelineModel;
  progress: Progress;
}): Promise<PacedResult> {
  const topic = `bench-paced-${Date.now().toString(36)}`;
  const admin = opts.kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: opts.partitions, replicationFactor: 1 }] });
  await admin.disconnect();
  const events = Math.round(opts.rate * opts.seconds);
  const data: PacedProducerData = { brokers: opts.brokers, topic, rate: opts.rate, seconds: opts.seconds, streams: opts.streams };
  const result = await benchDaemon({
    kafka: opts.kafka,
    brokers: opts.brokers,
    topic,
    events,
    model: opts.model,
    progress: opts.progress,
    label: `paced ${opts.rate}/s`,
    warmupMs: PACED_WARMUP_MS,
    traceAlerts: true,
    whileRunning: () =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL('./paced-producer.js', import.meta.url), { workerData: data });
        worker.once('message', (m: { error?: string }) => (m.error ? reject(new Error(`paced producer: ${m.error}`)) : resolve()));
        worker.once('error', reject);
      }),
  });
  const cleanup = opts.kafka.admin();
  await cleanup.connect();
  await cleanup.deleteTopics({ topics: [topic] }).catch(() => {});
  await cleanup.disconnect();
  return { ...result, rate: opts.rate };
}
