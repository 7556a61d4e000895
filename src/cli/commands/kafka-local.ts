import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultCacheDir, resolveKafkaJars, startLocalKafka } from '../../kafka/local-broker/index.js';
import { readLogTail } from '../../kafka/local-broker/maven-broker.js';
import { logger } from '../../log.js';
import { UsageError } from '../errors.js';

interface KafkaLocalOptions {
  port?: string;
  cache?: string;
  prepareOnly?: boolean;
  via: string;
  secure?: boolean;
}

const VIA = ['auto', 'testcontainers', 'maven'] as const;

function parsePort(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port: "${raw}" is not a TCP port (1-65535)`);
  return port;
}

function nextTerminationSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const handler = (signal: NodeJS.Signals) => {
      for (const s of signals) process.removeListener(s, handler);
      resolveSignal(signal);
    };
    for (const s of signals) process.on(s, handler);
  });
}

export function register(program: Command): void {
  program
    .command('kafka-local')
    .description(
      'run a single-node Kafka broker in the foreground for development and tests; prints "bootstrap=HOST:PORT" on stdout once it accepts clients, stops on SIGINT/SIGTERM',
    )
    .option('--port <n>', 'client port on 127.0.0.1 (default: a free port)')
    .option('--cache <dir>', 'where Kafka jars from Maven Central are kept (default: .cache/kafka in the repository)')
    .option('--via <how>', `auto (KAFKA_BROKERS, else Docker, else Maven), testcontainers or maven`, 'auto')
    .option('--secure', 'SASL_SSL client listener: a generated CA, SCRAM-SHA-512 credentials; also prints ca=, username=, password=')
    .option('--prepare-only', 'only fetch the Kafka jars into the cache, then exit')
    .action(async (opts: KafkaLocalOptions) => {
      const log = logger().child({ cmd: 'kafka-local' });
      const port = parsePort(opts.port);
      const via = VIA.find((v) => v === opts.via);
      if (!via) throw new UsageError(`--via: "${opts.via}" is not one of ${VIA.join(', ')}`);
      const cacheDir = opts.cache ? resolve(opts.cache) : defaultCacheDir();

      if (opts.prepareOnly) {
        const jars = await resolveKafkaJars(cacheDir, process.env, (m) => log.info(m));
        log.info({ jars: jars.jars.length, classpathFile: jars.classpathFile }, jars.downloaded ? 'Kafka jars resolved' : 'Kafka jars already cached');
        console.log(`classpath=${jars.classpathFile}`);
        return;
      }

      // Listen before starting so a signal during startup still cleans up.
      const signal = nextTerminationSignal();
      const startedAt = Date.now();
      const kafka = await startLocalKafka({ via, port, cacheDir, secure: opts.secure, onProgress: (m) => log.info(m) });
      log.info(
        { how: kafka.how, pid: kafka.pid, logFile: kafka.logFile, startupMs: Date.now() - startedAt, securityProtocol: kafka.security ? 'SASL_SSL' : 'PLAINTEXT' },
        'Kafka is accepting clients',
      );
      const lines = [`bootstrap=${kafka.brokers.join(',')}`];
      if (kafka.security) {
        const s = kafka.security;
        lines.push(`security.protocol=SASL_SSL`, `sasl.mechanism=SCRAM-SHA-512`, `ca=${s.caFile}`, `username=${s.username}`, `password=${s.password}`);
      }
      console.log(lines.join('\n'));

      const keepAlive = setInterval(() => {}, 60_000);
      const outcome = await Promise.race([
        signal.then((s) => ({ kind: 'signal' as const, signal: s })),
        ...(kafka.exited ? [kafka.exited.then(() => ({ kind: 'exited' as const }))] : []),
      ]);
      clearInterval(keepAlive);
      if (outcome.kind === 'exited') {
        const logTail = kafka.logFile ? readLogTail(kafka.logFile) : '';
        await kafka.stop();
        throw new Error(`the Kafka broker exited on its own${logTail ? `\n--- last lines of the broker log ---\n${logTail}` : ''}`);
      }
      log.info({ signal: outcome.signal }, 'stopping Kafka');
      await kafka.stop();
      log.info('Kafka stopped');
    });
}
