import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs, { type Admin, type Kafka, type Message } from 'kafkajs';
import { registerCompressionCodecs } from '../src/kafka/compression/codecs.js';
import { MAX_HEADER_BYTES } from '../src/kafka/delivery.js';
import { findSamples, parseExposition } from '../src/metrics/exposition.js';
import { REJECT_REASONS, type Alert } from '../src/pipeline/types.js';
import { cleanSegments } from './support/clean-segments.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { HALF_HOUR } from './support/eps.js';
import { hostilePayloads } from './support/fuzz-payloads.js';
import { readAll, runNames, testKafka, waitForCommitted } from './support/kafka.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;
const ROWS = 40;
const SPIKE_ROW = 25;
/** Whole half-hours ending now, so the events are within input.maxTimestampSkewMs of their produce time. */
const RECENT = Math.floor(Date.now() / HALF_HOUR) * HALF_HOUR - ROWS * HALF_HOUR;
const { values, offsets } = await cleanSegments('timeseries2.csv', ROWS);
const value = (i: number, row: number, spiky: boolean) => {
  const v = values[offsets[(i * 7) % offsets.length] + row];
  return spiky && row === SPIKE_ROW ? v * 2.5 : v;
};
const episodeKey = (a: Alert) => `${a.stream} ${a.alertId} ${a.state} ${a.startIndex}/${a.peakIndex}/${a.endIndex}`;

function run(name: string, match: string, sections?: Parameters<typeof writeTestConfig>[0]['sections']) {
  const names = runNames(name);
  return { ...names, config: writeTestConfig({ brokers: process.env.KAFKA_BROKERS!, ...names, match, sections, scoring: 'model-only' }) };
}

async function metricsOf(url: string) {
  return parseExposition(await (await fetch(`${url}/metrics`)).text());
}

describe('input that cannot hurt the daemon, on a real broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  const daemons: DaemonProcess[] = [];
  const brokers = process.env.KAFKA_BROKERS!;
  const start = (config: string) => {
    const d = new DaemonProcess(config);
    daemons.push(d);
    return d;
  };

  beforeAll(async () => {
    registerCompressionCodecs();
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    daemons.forEach((d) => d.kill());
    await admin?.disconnect();
  });

  it.each(['lz4', 'snappy', 'zstd'] as const)('consumes input that kcat compressed with %s, and produces its alerts compressed the same way', async (codec) => {
    const r = run(`codec-${codec}`, 'c-*', { alerts: `compression: ${codec}` });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: r.input, numPartitions: 2 }] });
    const daemon = start(r.config);
    await daemon.ready();
    const lines: string[] = [];
    for (let row = 0; row < ROWS; row++) {
      for (let i = 0; i < 4; i++) lines.push(`c-${i}:${JSON.stringify({ ts: RECENT + row * HALF_HOUR, value: value(i, row, i === 0) })}`);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'kcat-codec-')), 'events.txt');
    writeFileSync(file, lines.join('\n') + '\n');
    execFileSync('kcat', ['-b', brokers, '-t', r.input, '-P', '-z', codec, '-K', ':', '-l', file]);
    await waitForCommitted(admin, r.groupId, r.input);

    // Read back through kafkajs with the codec counted: the alerts arrive in batches compressed with it.
    const type = { lz4: CompressionTypes.LZ4, snappy: CompressionTypes.Snappy, zstd: CompressionTypes.ZSTD }[codec];
    const codecs = CompressionCodecs as unknown as Record<number, () => { compress: unknown; decompress: (b: Buffer) => Promise<Buffer> }>;
    const real = codecs[type];
    let decompressed = 0;
    codecs[type] = () => {
      const c = real();
      return { ...c, decompress: (b: Buffer) => (decompressed++, c.decompress(b)) };
    };
    let published: Alert[];
    try {
      published = (await readAll(kafka, r.alerts)).map((m) => JSON.parse(m.value!.toString()) as Alert);
    } finally {
      codecs[type] = real;
    }
    expect(decompressed).toBeGreaterThan(0);
    expect(published.filter((a) => a.state === 'open').map((a) => a.stream)).toEqual(['c-0']);
    // librdkafka (kcat) reads them too.
    const viaKcat = execFileSync('kcat', ['-b', brokers, '-t', r.alerts, '-C', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { encoding: 'utf8' }).trim().split('\n');
    expect(viaKcat.map((l) => (JSON.parse(l) as Alert).alertId).sort()).toEqual(published.map((a) => a.alertId).sort());
    expect(await daemon.stop()).toBe(0);
  });

  it('parks a message over daemon.maxMessageBytes and one the broker refuses, counts both, and keeps going', async () => {
    const r = run('park', 'p-*', { daemon: 'maxMessageBytes: 60000' });
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: r.input, numPartitions: 1 },
        // The broker refuses anything over 20 kB here: non-retriable MESSAGE_TOO_LARGE.
        { topic: r.deadLetter, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] },
      ],
    });
    const daemon = start(r.config);
    const { metricsUrl } = await daemon.ready();
    const producer = kafka.producer();
    await producer.connect();
    const junk = (bytes: number) => `{"stream":"p-0","note":"${'x'.repeat(bytes)}"`; // unterminated: invalid JSON
    await producer.send({ topic: r.input, messages: [{ value: junk(40_000) }] });
    await producer.send({ topic: r.input, messages: [{ value: junk(70_000) }] });
    for (let row = 0; row < ROWS; row++) {
      await producer.send({ topic: r.input, messages: [0, 1].map((i) => ({ key: `p-${i}`, value: JSON.stringify({ stream: `p-${i}`, ts: RECENT + row * HALF_HOUR, value: value(i, row, i === 0) }) })) });
    }
    await producer.send({ topic: r.input, messages: [{ value: junk(100) }] });
    await producer.disconnect();
    await waitForCommitted(admin, r.groupId, r.input);

    const letters = await readAll(kafka, r.deadLetter);
    expect(letters.map((m) => m.value!.length)).toEqual([junk(100).length]);
    const published = (await readAll(kafka, r.alerts)).map((m) => JSON.parse(m.value!.toString()) as Alert);
    expect(published.filter((a) => a.state === 'open').map((a) => a.stream)).toEqual(['p-0']);
    const samples = await metricsOf(metricsUrl);
    expect(findSamples(samples, 'anomalyd_messages_parked_total', { topic: r.deadLetter, reason: 'too_large' })[0]?.value).toBe(1);
    expect(findSamples(samples, 'anomalyd_messages_parked_total', { topic: r.deadLetter, reason: 'rejected_by_broker' })[0]?.value).toBe(1);
    expect(daemon.logs.filter((l) => l.msg === 'message parked: it can never be delivered, so it is not retried').map((l) => l.reason).sort()).toEqual(['rejected_by_broker', 'too_large']);
    expect(await daemon.stop()).toBe(0);
  });

  it('fuzz: 20,000 hostile payloads among good events; nothing crashes, every one is dead-lettered, the good streams alert as without them', async () => {
    const GOOD = 6;
    const HOSTILE = 20_000;
    const good: { key: string; value: string }[] = [];
    for (let row = 0; row < ROWS; row++) {
      for (let i = 0; i < GOOD; i++) good.push({ key: `g-${i}`, value: JSON.stringify({ stream: `g-${i}`, ts: RECENT + row * HALF_HOUR, value: value(i, row, i < 2) }) });
    }
    const hostile = hostilePayloads(HOSTILE, 20261130, 'g-');
    // Interleave: the good events keep their order, hostile ones go in between at seeded positions.
    const mixed: Message[] = [];
    const every = Math.floor(HOSTILE / good.length);
    let h = 0;
    for (const g of good) {
      for (let k = 0; k < every; k++) mixed.push({ key: hostile[h].key, value: hostile[h++].value });
      mixed.push(g);
    }
    while (h < HOSTILE) mixed.push({ key: hostile[h].key, value: hostile[h++].value });

    const produce = async (topic: string, messages: Message[]) => {
      const producer = kafka.producer();
      await producer.connect();
      // Chunks well below the broker's batch limit; deep payloads are up to 200 kB each.
      let chunk: Message[] = [];
      let bytes = 0;
      for (const m of messages) {
        const size = (m.value as Buffer | string).length + Buffer.byteLength(m.key ?? '') + 64;
        if (bytes + size > 400_000 && chunk.length > 0) {
          await producer.send({ topic, messages: chunk });
          chunk = [];
          bytes = 0;
        }
        chunk.push(m);
        bytes += size;
      }
      if (chunk.length > 0) await producer.send({ topic, messages: chunk });
      await producer.disconnect();
    };

    const outcome = async (name: string, messages: Message[]) => {
      const r = run(name, 'g-*');
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: r.input, numPartitions: 3 }] });
      const daemon = start(r.config);
      const { metricsUrl } = await daemon.ready();
      await produce(r.input, messages);
      await waitForCommitted(admin, r.groupId, r.input, 300_000);
      const alerts = (await readAll(kafka, r.alerts)).map((m) => JSON.parse(m.value!.toString()) as Alert);
      const letters = await readAll(kafka, r.deadLetter);
      const samples = await metricsOf(metricsUrl);
      expect(await daemon.stop()).toBe(0);
      return { alerts, letters, samples, daemon };
    };

    const clean = await outcome('fuzz-clean', good);
    const started = Date.now();
    const fuzzed = await outcome('fuzz-mixed', mixed);
    const mb = mixed.reduce((n, m) => n + (m.value as Buffer | string).length + Buffer.byteLength(m.key ?? ''), 0) / 1e6;
    console.log(`fuzz: ${mixed.length} messages, ${mb.toFixed(1)} MB, produced and consumed to the end in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    expect(clean.letters).toEqual([]);
    expect(clean.alerts.filter((a) => a.state === 'open').map((a) => a.stream).sort()).toEqual(['g-0', 'g-1']);
    expect(fuzzed.alerts.map(episodeKey).sort()).toEqual(clean.alerts.map(episodeKey).sort());
    expect(fuzzed.letters).toHaveLength(HOSTILE);
    const reasons = new Map<string, number>();
    for (const m of fuzzed.letters) {
      const reason = m.headers!['anomalyd-reason']!.toString();
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      for (const v of Object.values(m.headers!)) expect(Buffer.byteLength(v!.toString())).toBeLessThanOrEqual(MAX_HEADER_BYTES);
    }
    console.log(`fuzz: dead letters by reason ${JSON.stringify(Object.fromEntries(reasons))}`);
    for (const reason of reasons.keys()) expect(REJECT_REASONS).toContain(reason);
    // The daemon says the same: every hostile payload counted as rejected, every good one scored or warming up.
    const events = (outcome: string) => findSamples(fuzzed.samples, 'anomalyd_events_total', { outcome })[0].value;
    expect(events('rejected')).toBe(HOSTILE);
    expect(events('scored') + events('warming_up')).toBe(good.length);
    expect(fuzzed.daemon.logs.filter((l) => l.level >= 50)).toEqual([]);
  }, 600_000);
});
