import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startLocalKafka, type LocalKafka } from '../src/kafka/local-broker/index.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { compareTopics, faultInput, waitForShare, type TopicComparison } from './support/fault-run.js';
import { readAll, uniqueName, waitForCommitted } from './support/kafka.js';

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

  /** `debug`: the daemon logs each transaction it writes, which the kills wait for. */
  const config = (input: string, name: string, debug = false) => {
    const topics = { alerts: uniqueName(`eos-${name}-alerts`), deadLetter: uniqueName(`eos-${name}-dlq`), groupId: uniqueName(`eos-${name}`) };
    return { ...topics, file: configFile(input, topics, debug) };
  };
  const configFile = (input: string, t: { alerts: string; deadLetter: string; groupId: string }, debug: boolean) =>
    writeTestConfig({
      brokers: broker.brokers.join(','),
      input,
      ...t,
      // Small batches: many transactions, so the faults land mid-stream.
      maxBatch: 256,
      // No eviction and no silences: both are measured on the event time of all partitions a member
      // reads, and how far one partition runs ahead of another differs between runs.
      sections: { daemon: 'sessionTimeoutMs: 6000\nmaxInFlight: 2000\nidleEvictAfterMs: 0' },
      extra: `    silence:\n      after: 0\n${debug ? 'logging:\n  level: debug\n' : ''}`,
    });
  const start = (file: string) => {
    const d = new DaemonProcess(file);
    daemons.push(d);
    return d;
  };
  const report = (what: string, c: TopicComparison) =>
    console.log(`${what}: ${c.got}/${c.expected} messages; missing ${c.missing}, duplicated ${c.duplicated}, spurious ${c.spurious}, streams out of order ${c.reordered.length}; largest relative difference of a fraction ${c.largestFractionDifference.toExponential(2)}`);
  const expectIdentical = (c: TopicComparison) => {
    expect(c.expected).toBeGreaterThan(0);
    expect({ missing: c.missing, duplicated: c.duplicated, spurious: c.spurious, reordered: c.reordered }).toEqual({ missing: 0, duplicated: 0, spurious: 0, reordered: [] });
    expect(c.got).toBe(c.expected);
  };

  /**
   * Produces the input rows `from`…`to` (shares of all rows; the topic is created at 0), `chunk`
   * rows per request, waiting `pauseMs` after each; `onChunk` sees the share produced.
   */
  const produce = async (topic: string, chunk: number, pauseMs = 0, onChunk: (share: number) => Promise<void> = async () => {}, from = 0, to = 1) => {
    if (from === 0) await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
    const producer = kafka.producer();
    await producer.connect();
    const end = Math.round(to * rows.length);
    for (let r = Math.round(from * rows.length); r < end; r += chunk) {
      await producer.send({ topic, messages: rows.slice(r, Math.min(r + chunk, end)).flat() });
      await onChunk(Math.min(end, r + chunk) / rows.length);
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

  /** The run's alerts and dead letters, read committed, against an uninterrupted run of the same input. */
  const expectSameAsUninterrupted = async (input: string, run: { alerts: string; deadLetter: string }) => {
    const reference = await referenceRun(input);
    const alerts = await compareTopics(kafka, reference.alerts, run.alerts);
    const deadLetters = await compareTopics(kafka, reference.deadLetter, run.deadLetter);
    report('alerts', alerts);
    report('dead letters', deadLetters);
    expectIdentical(alerts);
    expectIdentical(deadLetters);
  };

  it('kill -9 at 15, 40 and 65 % and a 20 s broker freeze at 80 %: the same messages as the uninterrupted run', async () => {
    // Half the input waits as a backlog; the other half arrives over about 30 s from the first
    // restart on, slower than the daemon reads it. Each fault comes when the group has committed its
    // share of the whole input, so each lands mid-stream; each kill comes as the daemon commits a
    // transaction. The uninterrupted run reads the same input afterwards.
    const input = uniqueName('eos-faults-input');
    const run = config(input, 'faults', true);
    await produce(input, 20, 0, undefined, 0, 0.5);
    let daemon = start(run.file);
    let inside = 0;
    const killAt = async (share: number) => {
      const done = await waitForShare(admin, run.groupId, input, total, share);
      // Killed once its next transaction's messages are written, as it commits (unless no transaction comes).
      const seen = daemon.logs.length;
      const d = daemon;
      const committing = await d.waitForLog((l) => l.msg === 'transaction written; committing' && d.logs.indexOf(l) >= seen, 'a transaction written', 5000).then(
        () => true,
        () => false,
      );
      if (committing) inside++;
      daemon.kill();
      await daemon.exited;
      console.log(`killed -9 at ${(done * 100).toFixed(1)} % committed, ${committing ? 'as it committed a transaction' : 'with no transaction written for 5 s'}`);
      daemon = start(run.file);
    };
    await killAt(0.15);
    // The producer waits at this gate (between two requests) while the broker is frozen.
    let gate: Promise<void> | undefined;
    let parked: () => void = () => {};
    const rest = produce(input, 3, 600, async () => {
      if (gate === undefined) return;
      parked();
      await gate;
    }, 0.5, 1);
    await killAt(0.4);
    await killAt(0.65);
    const done = await waitForShare(admin, run.groupId, input, total, 0.8);
    let release: () => void = () => {};
    const isParked = new Promise<void>((r) => (parked = r));
    gate = new Promise<void>((r) => (release = r));
    await Promise.race([isParked, rest]);
    process.kill(broker.pid!, 'SIGSTOP');
    console.log(`broker frozen for 20 s at ${(done * 100).toFixed(1)} % committed`);
    await new Promise((r) => setTimeout(r, 20_000));
    process.kill(broker.pid!, 'SIGCONT');
    gate = undefined;
    release();
    await rest;
    // The kills came inside transactions (a kill may find none if the daemon caught up meanwhile; not all do).
    expect(inside).toBeGreaterThan(0);
    await waitForCommitted(admin, run.groupId, input, 240_000);
    expect(await daemon.stop()).toBe(0);
    // What the faults cut off: records of transactions that were aborted (a read_committed consumer never sees them).
    for (const topic of [run.alerts, run.deadLetter, `${run.groupId}.state`]) {
      const [all, committed] = await Promise.all([readAll(kafka, topic, { readUncommitted: true }), readAll(kafka, topic)]);
      console.log(`${topic}: ${all.length - committed.length} records of aborted transactions`);
    }

    await expectSameAsUninterrupted(input, run);
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

    await expectSameAsUninterrupted(input, run);
  }, 420_000);
});
