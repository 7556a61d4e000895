import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freeLoopbackPort } from './free-port.js';
import { requireJava17 } from './java-tools.js';
import { resolveKafkaJars, tail } from './maven-jars.js';
import { LocalCa } from '../../tls/local-ca.js';
import type { LocalKafka, LocalKafkaSecurity } from './types.js';
import { waitForBroker } from './wait-ready.js';

const JVM_OPTS = ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', '-Dorg.slf4j.simpleLogger.showDateTime=true'];

export interface MavenBrokerOptions {
  port?: number;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  readyTimeoutMs: number;
  onProgress?: (message: string) => void;
  /** Serve clients on a SASL_SSL listener (SCRAM-SHA-512, a CA generated for this run) instead of PLAINTEXT. */
  secure?: boolean;
}

const SCRAM_USER = 'anomalyd';

/** A KRaft cluster id: 16 random bytes, base64url without padding (Kafka avoids a leading '-'). */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

interface Listeners {
  port: number;
  controllerPort: number;
  /** Secure mode: the client listener is SASL_SSL; brokers talk to each other on this plaintext loopback port. */
  secure?: { interBrokerPort: number; keystoreFile: string };
}

function listenerProperties({ port, controllerPort, secure }: Listeners): string[] {
  if (!secure) {
    return [
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    ];
  }
  return [
    `listeners=SASL_SSL://127.0.0.1:${port},INTERNAL://127.0.0.1:${secure.interBrokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${port},INTERNAL://127.0.0.1:${secure.interBrokerPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=INTERNAL',
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    // A PEM key store: the unencrypted PKCS#8 key and the certificate in one file, no Java key store needed.
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${secure.keystoreFile}`,
    'ssl.client.auth=none',
    'ssl.enabled.protocols=TLSv1.3,TLSv1.2',
  ];
}

function serverProperties(listeners: Listeners, logDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${listeners.controllerPort}`,
    ...listenerProperties(listeners),
    `log.dirs=${logDir}`,
    'num.partitions=3',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=3',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    // A throwaway broker (its storage goes at stop): keep file handles few.
    'log.segment.bytes=16777216',
    // No retention by time: replayed and demo input carries its event time as the broker timestamp,
    // often days old, and a time limit would delete it at the broker's first retention check
    // (30 s after start), consumed or not.
    'log.retention.ms=-1',
    '',
  ].join('\n');
}

/**
 * Runs Apache Kafka (resolved from Maven Central) as a single-node KRaft broker+controller in a child JVM,
 * with storage and its log in a fresh temp folder that `stop()` removes.
 */
export async function startMavenKafka(opts: MavenBrokerOptions): Promise<LocalKafka> {
  const java = requireJava17(opts.env);
  const { jars, version } = await resolveKafkaJars(opts.cacheDir, opts.env, opts.onProgress);
  const classpath = jars.join(delimiter);

  const port = opts.port ?? (await freeLoopbackPort());
  const taken = new Set([port]);
  const otherPort = async (): Promise<number> => {
    for (;;) {
      const p = await freeLoopbackPort();
      if (!taken.has(p)) return taken.add(p), p;
    }
  };
  const controllerPort = await otherPort();

  const workDir = mkdtempSync(join(tmpdir(), 'anomalyd-kafka-'));
  const dataDir = join(workDir, 'data');
  const logFile = join(workDir, 'broker.log');
  const propsFile = join(workDir, 'server.properties');
  mkdirSync(dataDir);
  let security: LocalKafkaSecurity | undefined;
  let secureListeners: Listeners['secure'];
  if (opts.secure) {
    opts.onProgress?.('generating a CA and a broker certificate for 127.0.0.1 and localhost');
    const ca = LocalCa.create('anomalyd kafka-local CA');
    const server = ca.issueServer({ hosts: ['127.0.0.1', 'localhost'] });
    const caFile = join(workDir, 'ca.pem');
    const keystoreFile = join(workDir, 'broker-keystore.pem');
    writeFileSync(caFile, ca.cert);
    writeFileSync(keystoreFile, `${server.key}${server.cert}`, { mode: 0o600 });
    security = { mechanism: 'scram-sha-512', username: SCRAM_USER, password: randomBytes(18).toString('base64url'), caFile, caPem: ca.cert };
    secureListeners = { interBrokerPort: await otherPort(), keystoreFile };
  }
  writeFileSync(propsFile, serverProperties({ port, controllerPort, secure: secureListeners }, dataDir));
  const fail = (message: string): never => {
    const logTail = readLogTail(logFile);
    rmSync(workDir, { recursive: true, force: true });
    throw new Error(logTail ? `${message}\n--- last lines of the broker log ---\n${logTail}` : message);
  };

  opts.onProgress?.(`formatting KRaft storage in ${dataDir}`);
  const format = spawnSync(
    java,
    [
      '-Xmx256m', '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', propsFile,
      // KRaft keeps SCRAM credentials in the metadata log; format time is when the first ones go in.
      ...(security ? ['--add-scram', `SCRAM-SHA-512=[name=${security.username},password=${security.password}]`] : []),
    ],
    { encoding: 'utf8', env: opts.env, timeout: 120_000 },
  );
  if (format.error || format.status !== 0) {
    writeFileSync(logFile, `${format.stdout ?? ''}${format.stderr ?? ''}`);
    fail(`kafka storage format failed (${format.error?.message ?? `exit ${format.status}`})`);
  }

  opts.onProgress?.(`starting Apache Kafka ${version} on 127.0.0.1:${port}${security ? ' (SASL_SSL)' : ''} (log: ${logFile})`);
  const logFd = openSync(logFile, 'a');
  let jvm: ChildProcess;
  try {
    jvm = spawn(java, [...JVM_OPTS, '-cp', classpath, 'kafka.Kafka', propsFile], {
      env: opts.env,
      stdio: ['ignore', logFd, logFd],
      cwd: workDir,
      // Own process group: a terminal's Ctrl-C reaches only us, and we shut the broker down in order.
      detached: true,
    });
  } finally {
    closeSync(logFd);
  }
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    jvm.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
    jvm.once('error', (err) => {
      exit = { code: null, signal: null };
      writeFileSync(logFile, `could not start ${java}: ${err.message}\n`, { flag: 'a' });
      resolve();
    });
  });

  // If this process goes away without calling stop(), do not leave the JVM or its files behind:
  // on a normal exit the 'exit' hook does it, and if we are killed outright, the watchdog does.
  const watchdog = jvm.pid ? startWatchdog(process.pid, jvm.pid, workDir) : undefined;
  const onExit = () => {
    if (!exit) jvm.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', onExit);
      watchdog?.kill('SIGKILL');
      if (!exit) {
        jvm.kill('SIGTERM');
        const killTimer = setTimeout(() => jvm.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(killTimer);
      }
      rmSync(workDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const brokers = [`127.0.0.1:${port}`];
  try {
    await waitForBroker(brokers, {
      timeoutMs: opts.readyTimeoutMs,
      security,
      abortReason: () => (exit ? new Error(`the Kafka JVM exited early (code ${exit.code}, signal ${exit.signal})`) : undefined),
    });
  } catch (err) {
    const logTail = readLogTail(logFile);
    await stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(logTail ? `${message}\n--- last lines of the broker log ---\n${logTail}` : message);
  }
  return { brokers, how: 'maven', stop, pid: jvm.pid, logFile, exited, security };
}

/**
 * A detached shell loop that outlives us: once `parentPid` is gone while the JVM still runs,
 * it stops the JVM and removes `workDir`. It ends by itself when the JVM exits while we live
 * (cleanup is then ours).
 */
function startWatchdog(parentPid: number, jvmPid: number, workDir: string): ChildProcess {
  const script = [
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done',
    'if kill -0 "$1" 2>/dev/null; then exit 0; fi',
    'kill -TERM "$2" 2>/dev/null',
    'n=0; while kill -0 "$2" 2>/dev/null && [ "$n" -lt 20 ]; do sleep 0.5; n=$((n+1)); done',
    'kill -KILL "$2" 2>/dev/null',
    'rm -rf "$3"',
  ].join('\n');
  const child = spawn('sh', ['-c', script, 'anomalyd-kafka-watchdog', String(parentPid), String(jvmPid), workDir], {
    stdio: 'ignore',
    detached: true,
  });
  child.unref();
  return child;
}

export function readLogTail(logFile: string): string {
  try {
    return tail(readFileSync(logFile, 'utf8'), 40);
  } catch {
    return '';
  }
}
