import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startLocalKafka, type LocalKafka } from '../src/kafka/local-broker/index.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { committedShare, compareTopics, faultInput, type TopicComparison } from './support/fault-run.js';
import { uniqueName, waitForCommitted } from './support/kafka.js';

const SOURCES = 150;
const ROWS = 300;
const BAD_EVERY = 10;
const PARTITIONS = 4;

/**
 * Exactly-once under faults, on a broker of this file's own (the freeze stops its JVM, which the
 * suite's shared broker must not suffer). One uninterrupted run of the input is the reference;
 * each fault run must publish, read committed, the very same alert and dead-letter messages.
 */
describe('exactly-once alerts and dead letters', () => {
  let broker: LocalKafka;
  let kafka: Kafka;
  let admin: Admin;
  const rows = faultInput(SOURCES, ROWS, BAD_EVERY);
  const total = rows.reduce((n, r) => n + r.length, 0);
  const daemons: DaemonProcess[] = [];

  const config = (input: string, name: string) => {
    const topics = { alerts: uniqueName(`eos-${name}-alerts`), deadLetter: uniqueName(`eos-${name}-dlq`), groupId: uniqueName(`eos-${name}`) };
    return { ...topics, file: configFile(input, topics) };
  };
  const configFile = (input: string, t: { alerts: string; deadLetter: string; groupId: string }) =>
    writeTestConfig({
      brokers: broker.brokers.join(','),
      input,
      ...t,
      // Small batches: many transactions, so the faults land mid-stream.
      maxBatch: 256,
      // No eviction and no silences: both are measured on the event time of all partitions a member
      // reads, and how far one partition runs ahead of another differs between runs.
      sections: { daemon: 'sessionTimeoutMs: 6000\nmaxInFlight: 2000\nidleEvictAfterMs: 0' },
      extra: '    silence:\n      after: 0\n',
    });
  const start = (file: string) => {
    const d = new DaemonProcess(file);
    daemons.push(d);
    return d;
  };
  const report = (what: string, c: TopicComparison) =>
    console.log(`${what}: ${c.got}/${c.expected} messages; missing ${c.missing}, duplicated ${c.duplicated}, spurious ${c.spurious}, streams out of order ${c.reordered.length}`);
  const expectIdentical = (c: TopicComparison) => {
    expect(c.expected).toBeGreaterThan(0);
    expect({ missing: c.missing, duplicated: c.duplicated, spurious: c.spurious, reordered: c.reordered }).toEqual({ missing: 0, duplicated: 0, spurious: 0, reordered: [] });
    expect(c.got).toBe(c.expected);
  };

  /** Produces the input rows, `chunk` rows per request, waiting `pauseMs` after each; `onChunk` sees the share produced. */
  const produce = async (topic: string, chunk: number, pauseMs = 0, onChunk: (share: number) => Promise<void> = async () => {}) => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let r = 0; r < rows.length; r += chunk) {
      await producer.send({ topic, messages: rows.slice(r, r + chunk).flat() });
      await onChunk(Math.min(1, (r + chunk) / rows.length));
      if (pauseMs > 0) await new Promise((res) => setTimeout(res, pauseMs));
    }
    await producer.disconnect();
  };

  /** The uninterrupted run of a fully produced input: one member, no faults. */
  const referenceRun = async (input: string) => {
    const run = config(input, 'reference');
    const daemon = start(run.file);
    await daemon.ready();
    await waitForCommitted(admin, run.groupId, input, 240_000);
    expect(await daemon.stop()).toBe(0);
    return run;
  };

  beforeAll(async () => {
    broker = await startLocalKafka({ via: 'maven' });
    kafka = new Kafka({ clientId: 'eos-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  }, 300_000);

  afterAll(async () => {
    for (const d of daemons) {
      const trouble = d.logs.filter((l) => l.level >= 40);
      if (trouble.length > 0) console.log(`daemon ${d.pid}: ${trouble.length} warnings/errors, the last:\n${trouble.slice(-8).map((l) => JSON.stringify(l).slice(0, 400)).join('\n')}`);
      d.kill();
    }
    await admin?.disconnect();
    await broker?.stop();
  });

  it('kill -9 at 15, 40 and 65 % and a 20 s broker freeze at 80 %: the same messages as the uninterrupted run', async () => {
    // The input arrives over about 45 s, slower than the daemon reads it, and each fault comes when
    // the group has committed its share of the whole input, so each lands mid-stream whatever the
    // daemon's speed (a restart costs about 10 s: start, and the dead member's session expiring).
    // The uninterrupted run reads the same input afterwards.
    const input = uniqueName('eos-faults-input');
    const run = config(input, 'faults');
    let daemon: DaemonProcess | undefined;
    const kills = [0.15, 0.4, 0.65];
    let frozen = false;
    // A fresh broker's group coordinator may still be loading: no share yet.
    const committed = () => committedShare(admin, run.groupId, input, total).catch(() => 0);
    await produce(input, 3, 400, async (share) => {
      daemon ??= start(run.file);
      const done = await committed();
      if (kills.length > 0 && done >= kills[0]) {
        kills.shift();
        daemon.kill();
        await daemon.exited;
        console.log(`killed -9 at ${(done * 100).toFixed(1)} % committed, ${(share * 100).toFixed(0)} % produced`);
        daemon = start(run.file);
      }
      if (kills.length === 0 && done >= 0.8 && !frozen) {
        frozen = true;
        process.kill(broker.pid!, 'SIGSTOP');
        console.log(`broker frozen for 20 s at ${(done * 100).toFixed(1)} % committed, ${(share * 100).toFixed(0)} % produced`);
        await new Promise((r) => setTimeout(r, 20_000));
        process.kill(broker.pid!, 'SIGCONT');
      }
    });
    // Every fault came while input was still arriving.
    expect({ kills, frozen }).toEqual({ kills: [], frozen: true });
    await waitForCommitted(admin, run.groupId, input, 240_000);
    expect(await daemon!.stop()).toBe(0);

    const reference = await referenceRun(input);
    const alerts = await compareTopics(kafka, reference.alerts, run.alerts);
    const deadLetters = await compareTopics(kafka, reference.deadLetter, run.deadLetter);
    report('alerts', alerts);
    report('dead letters', deadLetters);
    expectIdentical(alerts);
    expectIdentical(deadLetters);
  }, 420_000);

  it('a rebalance from one member to two and back: the same messages as the uninterrupted run', async () => {
    // The input arrives over about half a minute, so both rebalances happen mid-stream whatever the daemon's speed.
    const input = uniqueName('eos-rebalance-input');
    const run = config(input, 'rebalance');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: PARTITIONS }] });
    const first = start(run.file);
    await first.waitForLog((l) => l.msg === 'joined the consumer group', 'the first member joining');
    let second: DaemonProcess | undefined;
    let secondReady: Promise<unknown> | undefined;
    let left = -1;
    await produce(input, 5, 400, async (share) => {
      if (share >= 0.2 && second === undefined) {
        second = start(run.file);
        secondReady = second.waitForLog((l) => l.msg === 'partitions ready: producers fenced in, state restored', 'the second member restoring its partitions');
      }
      if (share >= 0.7 && left < 0) {
        await secondReady;
        // Both members have worked; back to one.
        expect(await second!.stop()).toBe(0);
        left = share;
        console.log(`second member joined at 20 % produced, left at ${(share * 100).toFixed(0)} % produced`);
      }
    });
    await waitForCommitted(admin, run.groupId, input, 240_000);
    expect(await first.stop()).toBe(0);
    expect(first.logs.filter((l) => l.msg === 'joined the consumer group').length, 'the first member saw both rebalances').toBeGreaterThanOrEqual(3);

    const reference = await referenceRun(input);
    const alerts = await compareTopics(kafka, reference.alerts, run.alerts);
    const deadLetters = await compareTopics(kafka, reference.deadLetter, run.deadLetter);
    report('alerts', alerts);
    report('dead letters', deadLetters);
    expectIdentical(alerts);
    expectIdentical(deadLetters);
  }, 420_000);
});
