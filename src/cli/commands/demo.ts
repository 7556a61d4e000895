import type { Command } from 'commander';
import { resolve } from 'node:path';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { loadConfig } from '../../config/load.js';
import { Daemon } from '../../daemon/daemon.js';
import { createKafka } from '../../kafka/client.js';
import { startLocalKafka } from '../../kafka/local-broker/index.js';
import { repoRoot } from '../../kafka/local-broker/repo-root.js';
import { ensureTopics } from '../../kafka/topics.js';
import { createLogger, setLogger } from '../../log.js';
import { loadPipelineModels } from '../../pipeline/load-models.js';
import type { Alert } from '../../pipeline/types.js';
import { alertLine } from '../demo/alert-line.js';
import { demoStreams, demoValue, loadDemoSeries, type DemoStream } from '../demo/traffic.js';
import { parsePositiveInt } from '../options.js';

interface DemoOptions {
  config: string;
  streams: number;
  rate: number;
  duration?: number;
  data: string;
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
    .action(async (opts: DemoOptions) => {
      const log = createLogger(process.env.ANOMALYD_LOG_LEVEL === undefined ? 'warn' : undefined);
      setLogger(log);
      const say = (m: string) => process.stderr.write(`demo: ${m}\n`);

      say('starting a local Kafka broker (the first run downloads Apache Kafka from Maven Central)…');
      const broker = await startLocalKafka({ onProgress: (m) => say(m) });
      say(`broker ready at ${broker.brokers.join(',')} (${broker.how})`);
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
        await broker.stop();
        say(`sent ${sent} events in ${secs.toFixed(1)} s (${(sent / secs).toFixed(0)} events/s), ${printer?.count ?? 0} alert message(s), ${printer?.deadLetters ?? 0} dead letter(s)`);
        process.exit(code);
      };
      process.on('SIGINT', () => void cleanup('Ctrl-C'));
      process.on('SIGTERM', () => void cleanup('SIGTERM'));

      const loaded = loadConfig(opts.config, { ...process.env, KAFKA_BROKERS: broker.brokers.join(',') });
      const { config } = loaded;
      config.input.fromBeginning = true;
      if (broker.how === 'env') {
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

      const models = await loadPipelineModels(loaded.modelDirs, config.inference.backend, log);
      say(`models: ${[...models.values()].map((m) => `${m.name} (${m.backend}, seqStep ${m.seqStep}, threshold ${m.threshold.toFixed(4)})`).join(', ')}`);
      daemon = new Daemon({ loaded, models, log });
      await daemon.start();
      if (daemon.metricsUrl) say(`metrics at ${daemon.metricsUrl}/metrics`);

      printer = await startAlertPrinter(kafka, config.alerts.topic, config.deadLetter.topic);
      const { series, from } = loadDemoSeries(opts.data);
      const spiky = Math.max(1, Math.floor(opts.streams / 3));
      const streams = demoStreams(opts.streams, series, spiky, 40);
      say(`streaming ${opts.streams} log sources from ${from} at ${opts.rate} events/s each; spikes in ${streams.filter((s) => s.spikes.size > 0).map((s) => s.id).join(', ')}`);
      say('every ~15 s one malformed event is sent, to show the dead-letter topic. Ctrl-C to stop.');

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
          value: JSON.stringify({ stream: s.id, ts: new Date(ts).toISOString(), value: demoValue(s, n) }),
          timestamp: String(ts),
        }));
        if (n > 0 && n % (opts.rate * 15) === 0) messages.push({ key: 'fw-01', value: '{"stream":"fw-01","value":"n/a"}' });
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
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === alertsTopic) {
        state.count++;
        console.log(alertLine(JSON.parse(message.value!.toString()) as Alert, color));
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
    stop: () => consumer.disconnect(),
  };
}
