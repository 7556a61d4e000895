import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import type { Alert } from '../src/pipeline/types.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { readAll, testKafka, uniqueName } from './support/kafka.js';

const SECOND = 1000;

/**
 * Silence through the daemon on a real broker, with the shipped detector: a source that stops while
 * others go on is found by event time; when every source of the topic stops, the wall clock finds them.
 */
describe('anomalyd run: silent sources', () => {
  let kafka: Kafka;
  let admin: Admin;
  const input = uniqueName('silence-input');
  const alerts = uniqueName('silence-alerts');
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 1 }] });
  });

  afterAll(async () => {
    await daemon?.stop();
    await admin?.disconnect();
  });

  it('opens a silence dated at the first missing event, resolves it when the source returns, and finds a whole quiet topic by the wall clock', { timeout: 180_000 }, async () => {
    daemon = new DaemonProcess(
      writeTestConfig({ brokers: process.env.KAFKA_BROKERS!, input, alerts, deadLetter: uniqueName('silence-dlq'), groupId: uniqueName('silence-group') }),
    );
    await daemon.ready();

    // Event time one second apart, sent in one burst: "gappy" misses events 10–19 while "steady" goes on.
    const t0 = Date.now() - 60 * SECOND;
    const messages = [];
    for (let i = 0; i < 30; i++) {
      messages.push({ key: 'steady', value: JSON.stringify({ stream: 'steady', ts: t0 + i * SECOND, value: 100 + (i % 3) }) });
      if (i < 10 || i >= 20) messages.push({ key: 'gappy', value: JSON.stringify({ stream: 'gappy', ts: t0 + i * SECOND, value: 100 + (i % 3) }) });
    }
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: input, messages });
    await producer.disconnect();

    // Then nothing more: within a few seconds of wall clock both sources are silent.
    const silences = async () =>
      (await readAll(kafka, alerts)).map((m) => JSON.parse(m.value!.toString()) as Alert).filter((a) => a.kind === 'silence');
    let seen: Alert[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      seen = await silences();
      if (seen.filter((a) => a.state === 'open').length >= 3) break;
    }
    const line = (a: Alert) => `${a.stream} ${a.state} ${a.startTs}`;
    const iso = (i: number) => new Date(t0 + i * SECOND).toISOString();
    // By event time: "steady" at event 13 is three cadences past gappy's last event (9).
    expect(seen.slice(0, 2).map(line)).toEqual([`gappy open ${iso(10)}`, `gappy resolved ${iso(10)}`]);
    expect(seen[0].detectedAt).toBe(iso(12));
    // By the wall clock, once the burst is over: each dated at the event after its last one.
    expect(seen.slice(2).map(line).sort()).toEqual([`gappy open ${iso(30)}`, `steady open ${iso(30)}`]);
    for (const a of seen) expect(a).toMatchObject({ schemaVersion: 2, kind: 'silence', expected: null, deviation: null });
    expect(await daemon.stop()).toBe(0);
    daemon = undefined;
  });
});
