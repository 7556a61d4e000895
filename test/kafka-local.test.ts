import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, type EachMessagePayload } from 'kafkajs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { quietKafkaLogging } from '../src/kafka/local-broker/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

function client(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, ...quietKafkaLogging });
}

/** Consumes from `topic` in `groupId` until `count` values arrived, then disconnects (committing offsets). */
async function consumeValues(kafka: Kafka, groupId: string, topic: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: true,
          autoCommitThreshold: 1,
          eachMessage: async ({ message }: EachMessagePayload) => {
            values.push(message.value?.toString() ?? '');
            if (values.length === count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe('shared test broker', () => {
  it('is announced through process.env.KAFKA_BROKERS and inject()', () => {
    expect(process.env.KAFKA_BROKERS).toBeTruthy();
    expect(inject('kafkaBrokers')).toBe(process.env.KAFKA_BROKERS);
  });

  it('round-trips messages through a consumer group and honours its committed offsets', async () => {
    const brokers = process.env.KAFKA_BROKERS!.split(',');
    const kafka = client(brokers, 'kafka-local-roundtrip');
    const topic = `roundtrip-${process.pid}-${Date.now()}`;
    const groupId = `${topic}-group`;

    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })).toBe(true);
      const sent = Array.from({ length: 20 }, (_, i) => `event-${i}`);
      await producer.send({ topic, messages: sent.map((value, i) => ({ key: `source-${i % 4}`, value })) });

      const received = await consumeValues(kafka, groupId, topic, sent.length);
      expect([...received].sort()).toEqual([...sent].sort());

      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committedByPartition = Object.fromEntries(committed!.partitions.map((p) => [p.partition, p.offset]));
      for (const end of ends) expect(committedByPartition[end.partition]).toBe(end.high);

      // A new member of the same group resumes after the commits: it sees only what came later.
      await producer.send({ topic, messages: [{ key: 'source-0', value: 'after-commit' }] });
      expect(await consumeValues(kafka, groupId, topic, 1)).toEqual(['after-commit']);
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });
});

describe('anomalyd kafka-local', () => {
  let cli: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (cli && cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
  });

  // A second JVM next to the shared broker: give it room on a busy 2-core machine.
  it('starts its own broker from the Maven jars, serves clients, and cleans up on SIGTERM', { timeout: 300_000 }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ANOMALYD_LOG_FORMAT: 'json', ANOMALYD_LOG_LEVEL: 'info' };
    delete env.KAFKA_BROKERS;
    cli = spawn(process.execPath, [join(repo, 'bin', 'anomalyd.js'), 'kafka-local', '--via', 'maven'], { cwd: repo, env });
    const child = cli;
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );

    const stdoutLines: string[] = [];
    let stderrText = '';
    // The log goes to stderr asynchronously, so it may trail the bootstrap line on stdout.
    const readyRecord = new Promise<Record<string, unknown>>((resolve) => {
      createInterface({ input: child.stderr }).on('line', (line) => {
        stderrText += `${line}\n`;
        if (!line.startsWith('{')) return;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.msg === 'Kafka is accepting clients') resolve(record);
      });
    });
    const bootstrap = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        stdoutLines.push(line);
        const match = /^bootstrap=(.+)$/.exec(line);
        if (match) resolve(match[1]!);
      });
      void exit.then(({ code, signal }) => reject(new Error(`kafka-local exited early (code ${code}, signal ${signal}):\n${stderrText}`)));
    });
    expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);

    const ready = await readyRecord;
    expect(ready.how).toBe('maven');
    const jvmPid = ready.pid as number;
    const logFile = ready.logFile as string;
    expect(jvmPid).toBeGreaterThan(0);
    expect(existsSync(logFile)).toBe(true);

    const admin = client([bootstrap], 'kafka-local-cli').admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual([bootstrap]);

    child.kill('SIGTERM');
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(stdoutLines).toEqual([`bootstrap=${bootstrap}`]);
    expect(() => process.kill(jvmPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(existsSync(dirname(logFile))).toBe(false);
  });
});
