import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalKafka, type LocalKafka } from '../src/kafka/local-broker/index.js';
import { SOURCE_CONSUMER_OPTIONS } from '../src/kafka/source.js';
import { selectBackend, type BackendName } from '../src/model/backend.js';
import { benchBareConsumer } from './bare-consumer.js';
import { benchDaemon } from './e2e.js';
import { availableBackends, benchInference } from './inference.js';
import { prepareInputTopic } from './input-topic.js';
import { benchMemory } from './memory.js';
import { benchPaced } from './paced.js';
import { benchPerWindow } from './per-window.js';
import { benchWorkers } from './workers.js';
import { createProgress } from './progress.js';
import { asPipelineModel, defaultModelDir } from './reference-model.js';
import { loadScoringModel } from '../src/model/scorer.js';
import { daemonSchema, inferenceSchema } from '../src/config/schema.js';
import { loadWorkerScoringModel } from '../src/model/scoring-worker/supervisor.js';
import { printReport, type BenchReport } from './report.js';
import { EpsTraffic } from './traffic.js';

const PARTS = ['inference', 'per-window', 'e2e', 'bare', 'workers', 'paced', 'memory'] as const;
type Part = (typeof PARTS)[number];
const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

function positive(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${raw}" is not a positive number`);
  return n;
}
function list<T extends string>(allowed: readonly T[]) {
  return (raw: string): T[] => {
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((i) => !allowed.includes(i as T));
    if (bad.length > 0) throw new InvalidArgumentError(`unknown ${bad.join(', ')} (expected some of ${allowed.join(', ')})`);
    return items as T[];
  };
}

const program = new Command('anomalyd-bench')
  .description('anomalyd benchmarks: inference, per-window vs batched, end to end through a real broker, a bare consumer, memory per stream')
  .option('--only <parts>', `comma-separated: ${PARTS.join(',')}`, list(PARTS), [...PARTS])
  .option('--events <n>', 'events in the end-to-end input topic', positive, 1_000_000)
  .option('--streams <n>', 'streams in the end-to-end input topic', positive, 1000)
  .option('--partitions <n>', 'partitions of the input topic', positive, 4)
  .option('--backends <list>', 'inference backends to measure (unavailable ones are skipped)', list(BACKENDS), [...BACKENDS])
  .option('--seconds <s>', 'measuring time per inference figure', positive, 2)
  .option('--cpu-max-batch <n>', 'largest batch measured on the (slow) cpu backend', positive, 64)
  .option('--paced-rate <n>', 'events/s of the paced run (below capacity)', positive, 20_000)
  .option('--paced-seconds <s>', 'duration of the paced run', positive, 15)
  .option('--memory-streams <list>', 'active streams in the memory figures', (raw: string) => raw.split(',').map(positive), [100_000, 1_000_000])
  .option('--memory-cap <n>', 'daemon.maxActiveStreams of the memory figures (0: no cap; default: the config default)', (v) => Number.parseInt(v, 10))
  .option('--workers <list>', 'members of the `anomalyd run --workers N` runs', (raw: string) => raw.split(',').map(positive), [1, 2])
  .option('--max-batch <n>', 'inference.maxBatch for the daemon runs (default: the config default)', positive)
  .option('--max-latency-ms <n>', 'inference.maxLatencyMs for the daemon runs (default: the config default)', positive)
  .option('--inference-thread <where>', 'daemon runs score in a worker thread (as anomalyd run does) or on the main thread', list(['worker', 'main'] as const), ['worker'])
  .option('--routes <list>', 'forward routes the daemon runs may use, fastest first (default: all; e.g. fused for the pre-graph scorer)', list(['graph', 'fused', 'predict'] as const))
  .option('--brokers <list>', 'use this Kafka cluster (else KAFKA_BROKERS, else a local broker is started)')
  .option('--json <file>', 'also write the results as JSON');

interface Options {
  only: Part[];
  events: number;
  streams: number;
  partitions: number;
  backends: BackendName[];
  seconds: number;
  cpuMaxBatch: number;
  pacedRate: number;
  pacedSeconds: number;
  memoryStreams: number[];
  memoryCap?: number;
  workers: number[];
  maxBatch?: number;
  maxLatencyMs?: number;
  brokers?: string;
  json?: string;
  inferenceThread: ('worker' | 'main')[];
  routes?: ('graph' | 'fused' | 'predict')[];
}

async function main(): Promise<void> {
  const opts = program.parse().opts<Options>();
  const only = new Set(opts.only);
  const progress = createProgress();
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
  };

  const { available, skipped } = await availableBackends(opts.backends.length ? BACKENDS : []);
  report.backends = { available, skipped };
  const measured = opts.backends.filter((b) => available.includes(b));
  const defaultBackend = available[0];
  if (!defaultBackend) throw new Error('no tensorflow.js backend initialised');

  if (only.has('inference')) {
    report.inference = await benchInference({ backends: measured, batches: [1, 64, 1024], cpuMaxBatch: opts.cpuMaxBatch, seconds: opts.seconds, progress });
  }
  if (only.has('per-window')) {
    report.perWindow = await benchPerWindow(measured.filter((b) => b !== 'cpu'), 1024, opts.seconds, progress);
  }

  await selectBackend(defaultBackend);
  const thread = opts.inferenceThread[0] ?? 'worker';
  const { dir, origin } = await defaultModelDir();
  const model =
    thread === 'worker'
      ? await loadWorkerScoringModel('eps-gru', dir, defaultBackend, { ...inferenceSchema.parse(undefined), routes: opts.routes })
      : await loadScoringModel('eps-gru', dir, opts.routes);
  const pipelineModel = asPipelineModel(model, defaultBackend);
  report.model = { origin, backend: defaultBackend, thread, route: model.route, kind: model.meta.kind, seqStep: model.meta.seqStep, units: model.meta.training.units, threshold: model.meta.threshold.value };

  const needsKafka = ['e2e', 'bare', 'workers', 'paced'].some((p) => only.has(p as Part));
  let local: LocalKafka | undefined;
  try {
    if (needsKafka) {
      const brokersRaw = opts.brokers ?? process.env.KAFKA_BROKERS;
      if (brokersRaw === undefined) {
        progress.note('starting a local Kafka broker…');
        local = await startLocalKafka({ onProgress: (m) => progress.note(`[kafka] ${m}`) });
      }
      const brokers = brokersRaw ? brokersRaw.split(',') : local!.brokers;
      const kafka = new Kafka({ clientId: 'anomalyd-bench', brokers, logLevel: logLevel.NOTHING });
      const traffic = new EpsTraffic({ streams: opts.streams, rows: Math.ceil(opts.events / opts.streams) });
      report.kafka = { brokers: brokersRaw ? 'given' : `local (${local!.how})`, partitions: opts.partitions };
      const inference = { ...(opts.maxBatch ? { maxBatch: opts.maxBatch } : {}), ...(opts.maxLatencyMs ? { maxLatencyMs: opts.maxLatencyMs } : {}) };
      if (only.has('e2e') || only.has('bare') || only.has('workers')) {
        const input = await prepareInputTopic(kafka, traffic, opts.partitions, progress);
        report.input = { ...input, streams: opts.streams, spikedStreams: traffic.spikedStreams, producedPerSecond: input.reused ? null : input.events / input.produceSeconds };
        if (only.has('bare')) report.bare = await benchBareConsumer(kafka, input.topic, input.events, progress, SOURCE_CONSUMER_OPTIONS);
        if (only.has('e2e')) {
          report.e2e = await benchDaemon({ kafka, brokers, topic: input.topic, events: input.events, model: pipelineModel, progress, label: 'daemon (backlog)', inference });
        }
        if (only.has('workers')) report.workers = await benchWorkers({ kafka, brokers, topic: input.topic, counts: opts.workers, progress });
        if (report.e2e && report.bare) report.ratios = { ...report.ratios, daemonOverBare: report.e2e.eventsPerSecond / report.bare.eventsPerSecond };
      }
      if (only.has('paced')) {
        report.paced = await benchPaced({ kafka, brokers, partitions: opts.partitions, streams: opts.streams, rate: opts.pacedRate, seconds: opts.pacedSeconds, model: pipelineModel, progress });
      }
    }
    if (only.has('memory')) {
      report.memory = [];
      const cap = opts.memoryCap ?? daemonSchema.parse(undefined).maxActiveStreams;
      for (const streams of opts.memoryStreams) report.memory.push(await benchMemory(pipelineModel, streams, cap, progress));
    }
  } finally {
    await local?.stop();
  }
  if (report.perWindow?.length) report.ratios = { ...report.ratios, batchedOverPerWindow: Object.fromEntries(report.perWindow.map((r) => [r.backend, r.ratio])) };
  report.finishedAt = new Date().toISOString();

  printReport(report);
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
    progress.note(`wrote ${opts.json}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
