import type { Command } from 'commander';
import { resolve } from 'node:path';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { loadConfig } from '../../config/load.js';
import { Daemon } from '../../daemon/daemon.js';
import { createKafka, kafkaJsSecurity } from '../../kafka/client.js';
import { startLocalKafka } from '../../kafka/local-broker/index.js';
import { brokersFromEnv } from '../../kafka/local-broker/from-env.js';
import { repoRoot } from '../../kafka/local-broker/repo-root.js';
import { ensureTopics } from '../../kafka/topics.js';
import { createLogger, setLogger } from '../../log.js';
import { loadPipelineModels } from '../../pipeline/load-models.js';
import type { Alert } from '../../pipeline/types.js';
import { alertLine } from '../demo/alert-line.js';
import { demoStreams, demoValue, loadDemoSeries, type DemoStream } from '../demo/traffic.js';
import { UsageError } from '../errors.js';
import { parsePositiveInt } from '../options.js';

/** The first spike comes after two and a half days of traffic: a new source's first day is learned, not judged. */
const FIRST_SPIKE = 120;

interface DemoOptions {
  config: string;
  streams: number;
  rate: number;
  duration?: number;
  data: string;
  trafficOnly?: boolean;
  spikeEvery?: number;
}

const STEP_MS = 30 * 60 * 1000;

export function register(program: Command): void {
  program
    .command('demo')
    .description('start a local Kafka broker and the daemon, stream EPS traffic with injected spikes, print alerts as they arrive')
    .option('-c, --config <file>', 'daemon configuration', 'config/anomalyd.yaml')
    .option('--streams <n>', 'number of log sources to simulate', parsePositiveInt, 12)
    .option('--rate <n>', 'events per second per stream (each event is 30 minutes of EPS)', parsePositiveInt, 20)
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', parsePositiveInt)
    .option('--data <dir>', 'folder with the reference EPS series', resolve(repoRoot(), '..', 'shared', 'data', 'eps'))
    .option('--spike-every <n>', 'repeat each spiked stream\'s spike every n events (default: once)', parsePositiveInt)
    .option(
      '--traffic-only',
      'only stream the traffic into the configured input topic of the brokers the config names and print the alerts: no local broker, no daemon (the docker compose traffic service)',
    )
    .action(async (opts: DemoOptions) => {
      const log = createLogger(process.env.ANOMALYD_LOG_LEVEL === undefined ? 'warn' : undefined);
      setLogger(log);
      const say = (m: string) => process.stderr.write(`demo: ${m}\n`);
      const { series, from } = loadDemoSeries(opts.data);
      const spiky = Math.max(1, Math.floor(opts.streams / 3));
      const streams = demoStreams(opts.streams, series, spiky, FIRST_SPIKE);
      const lastSpike = Math.max(...streams.flatMap((s) => [...s.spikes]));
      if (opts.spikeEvery !== undefined && opts.spikeEvery <= lastSpike) {
        throw new UsageError(`--spike-every ${opts.spikeEvery}: must be above ${lastSpike}, the event of the last stream's first spike`);
      }

      // TLS and SASL come from the config file; they apply to a cluster named by KAFKA_BROKERS
      // (e.g. `anomalyd kafka-local --secure`), since the broker the demo starts itself is plaintext.
      const preview = loadConfig(opts.config, { ...process.env, KAFKA_BROKERS: process.env.KAFKA_BROKERS || '127.0.0.1:9092' }).config.kafka;
      const secured = preview.ssl !== false || preview.sasl !== undefined;
      if (secured && !brokersFromEnv(process.env)) {
        throw new UsageError(
          `${opts.config} sets kafka.ssl or kafka.sasl, but the broker the demo starts is plaintext: start a secured one with \`anomalyd kafka-local --secure\` and give its bootstrap address as KAFKA_BROKERS (docs/SECURITY.md)`,
        );
      }
      let broker: Awaited<ReturnType<typeof startLocalKafka>> | undefined;
      if (!opts.trafficOnly) {
        say(secured ? `using the cluster at KAFKA_BROKERS (TLS: ${preview.ssl !== false}, SASL: ${preview.sasl?.mechanism ?? 'none'})…` : 'starting a local Kafka broker (the first run downloads Apache Kafka from Maven Central)…');
        broker = await startLocalKafka({ onProgress: (m) => say(m), clientSecurity: kafkaJsSecurity(preview) });
        say(`broker ready at ${broker.brokers.join(',')} (${broker.how})`);
      }
      let daemon: Daemon | undefined;
      let stopping = false;
      let producer: Producer | undefined;
      let printer: Awaited<ReturnType<typeof startAlertPrinter>> | undefined;
      let ticker: NodeJS.Timeout | undefined;
      let started = Date.now();
      let sent = 0;
      const cleanup = async (why: string) => {
        if (stopping) return;
        stopping = true;
        say(`stopping (${why})…`);
        clearInterval(ticker);
        const secs = (Date.now() - started) / 1000;
        await producer?.disconnect().catch(() => {});
        const code = (await daemon?.stop(why)) ?? 0;
        await printer?.stop();
        await broker?.stop();
        say(`sent ${sent} events in ${secs.toFixed(1)} s (${(sent / secs).toFixed(0)} events/s), ${printer?.count ?? 0} alert message(s), ${printer?.deadLetters ?? 0} dead letter(s)`);
        say(episodeSummary(streams, printer?.opened ?? new Map()));
        process.exit(code);
      };
      process.on('SIGINT', () => void cleanup('Ctrl-C'));
      process.on('SIGTERM', () => void cleanup('SIGTERM'));

      const loaded = loadConfig(opts.config, broker ? { ...process.env, KAFKA_BROKERS: broker.brokers.join(',') } : process.env);
      const { config } = loaded;
      config.input.fromBeginning = true;
      if (broker?.how === 'env') {
        // An existing cluster: keep demo traffic out of the real topics and consumer group.
        const run = `demo-${Date.now().toString(36)}`;
        config.input.topics = [`${config.input.topics[0]}.${run}`];
        config.alerts.topic = `${config.alerts.topic}.${run}`;
        config.deadLetter.topic = `${config.deadLetter.topic}.${run}`;
        config.kafka.groupId = `${config.kafka.groupId}-${run}`;
        say(`using run-scoped topics ${config.input.topics[0]}, ${config.alerts.topic}, ${config.deadLetter.topic}`);
      }
      const kafka = createKafka(config.kafka, log);
      const admin = kafka.admin();
      await admin.connect();
      await ensureTopics(admin, [
        { topic: config.input.topics[0], numPartitions: 4 },
        { topic: config.alerts.topic },
        { topic: config.deadLetter.topic },
      ]);
      await admin.disconnect();

      if (opts.trafficOnly) {
        say(`traffic only: into ${config.input.topics[0]} on ${config.kafka.brokers.join(',')}; the daemon runs elsewhere`);
      } else {
        const models = await loadPipelineModels(loaded.modelDirs, config.inference.backend, log);
        say(`models: ${[...models.values()].map((m) => `${m.name} (${m.backend}, seqStep ${m.seqStep}, threshold ${m.threshold.toFixed(4)})`).join(', ')}`);
        daemon = new Daemon({ loaded, models, log });
        await daemon.start();
        if (daemon.metricsUrl) say(`metrics at ${daemon.metricsUrl}/metrics`);
      }

      printer = await startAlertPrinter(kafka, config.alerts.topic, config.deadLetter.topic);
      say(`streaming ${opts.streams} log sources from ${from} at ${opts.rate} events/s each; spikes in ${streams.filter((s) => s.spikes.size > 0).map((s) => s.id).join(', ')}`);
      say('one malformed event after ~10 s and then every ~15 s, to show the dead-letter topic. Ctrl-C to stop.');

      producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      started = Date.now();
      const t0 = Date.UTC(2026, 10, 1);
      let n = 0;
      // One send at a time: concurrent sends may be reordered on retry, and a stream's events must stay in order.
      let sending: Promise<unknown> = Promise.resolve();
      ticker = setInterval(() => {
        if (stopping) return;
        // A replay of past data: the message timestamp is the event's own, as input.maxTimestampSkewMs expects.
        const ts = t0 + n * STEP_MS;
        const messages: { key: string; value: string; timestamp?: string }[] = streams.map((s: DemoStream) => ({
          key: s.id,
          value: JSON.stringify({ stream: s.id, ts: new Date(ts).toISOString(), value: demoValue(s, n, opts.spikeEvery) }),
          timestamp: String(ts),
        }));
        // The first one early, so a short run (--duration 20) shows one even when ticks run late.
        if (n >= opts.rate * 10 && (n - opts.rate * 10) % (opts.rate * 15) === 0) messages.push({ key: 'fw-01', value: '{"stream":"fw-01","value":"n/a"}' });
        n++;
        sent += messages.length;
        sending = sending.then(() => producer!.send({ topic: config.input.topics[0], messages })).catch((err: Error) => say(`produce failed: ${err.message}`));
      }, 1000 / opts.rate);
      if (opts.duration) setTimeout(() => void cleanup(`--duration ${opts.duration}`), opts.duration * 1000);
    });
}

async function startAlertPrinter(kafka: Kafka, alertsTopic: string, deadLetterTopic: string) {
  const consumer = kafka.consumer({ groupId: `anomalyd-demo-printer-${process.pid}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [alertsTopic, deadLetterTopic], fromBeginning: true });
  const color = process.stdout.isTTY;
  const state = { count: 0, deadLetters: 0 };
  const opened = new Map<string, number>();
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === alertsTopic) {
        state.count++;
        const alert = JSON.parse(message.value!.toString()) as Alert;
        if (alert.state === 'open') opened.set(alert.stream, (opened.get(alert.stream) ?? 0) + 1);
        console.log(alertLine(alert, color));
      } else {
        state.deadLetters++;
        const h = (k: string) => message.headers?.[k]?.toString();
        console.log(`${new Date().toTimeString().slice(0, 8)} DEAD-LETTER ${h('anomalyd-reason')}: ${h('anomalyd-detail')}  ${message.value?.toString()}`);
      }
    },
  });
  return {
    get count() {
      return state.count;
    },
    get deadLetters() {
      return state.deadLetters;
    },
    /** Episodes opened per stream. */
    opened,
    stop: () => consumer.disconnect(),
  };
}

/** Episodes the spiked sources opened (expected) beside those of the unspiked ones (false alarms: the aim is none). */
function episodeSummary(streams: DemoStream[], opened: ReadonlyMap<string, number>): string {
  const spiked = streams.filter((s) => s.spikes.size > 0);
  const unspiked = streams.filter((s) => s.spikes.size === 0);
  const count = (list: DemoStream[]) => list.reduce((n, s) => n + (opened.get(s.id) ?? 0), 0);
  const noisy = unspiked.filter((s) => opened.has(s.id)).map((s) => `${s.id} ${opened.get(s.id)}`);
  return (
    `alert episodes opened: ${count(spiked)} on ${spiked.length} spiked source(s), ` +
    `${count(unspiked)} on ${unspiked.length} unspiked source(s) (aim: 0)${noisy.length > 0 ? ` [${noisy.join(', ')}]` : ''}`
  );
}
