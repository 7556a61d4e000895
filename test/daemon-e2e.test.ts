import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { parseExposition, findSamples } from '../src/metrics/exposition.js';
import type { Alert } from '../src/pipeline/types.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { cleanSegments } from './support/clean-segments.js';
import { HALF_HOUR, T0 } from './support/eps.js';
import { committedOffsets, readAll, testKafka, uniqueName, waitForCommitted } from './support/kafka.js';

const STREAMS = 60;
const SPIKY = 15;
const ROWS = 60;
const SPIKE_ROW = 30;
const MORE_ROWS = 10;

// Each stream plays a stretch of a reference week that the model scores as normal; spiky streams get a ×2.5 spike.
const segments = await Promise.all(['timeseries2.csv', 'timeseries3.csv'].map((f) => cleanSegments(f, ROWS + MORE_ROWS)));
const streamId = (i: number) => `s-${String(i).padStart(2, '0')}`;
function value(i: number, row: number): number {
  const { values, offsets } = segments[i % 2];
  const v = values[offsets[(i * 7) % offsets.length] + row];
  return i < SPIKY && row === SPIKE_ROW ? v * 2.5 : v;
}
const event = (i: number, row: number) => ({ stream: streamId(i), ts: new Date(T0 + row * HALF_HOUR).toISOString(), value: value(i, row) });

/** What must reach the dead-letter topic, one of each reason. */
const malformed: { key: string | null; value: string; reason: string }[] = [
  { key: null, value: '{not json', reason: 'invalid_json' },
  { key: null, value: '{"stream":"s-01","ts":"2026-11-22T00:00:00Z"}', reason: 'missing_field' },
  { key: null, value: '{"ts":"2026-11-22T00:00:00Z","value":3}', reason: 'missing_field' },
  { key: null, value: '{"stream":"s-01","ts":"2026-11-22T00:00:00Z","value":"many"}', reason: 'non_finite_value' },
  { key: null, value: '{"stream":"s-01","ts":"noon","value":1}', reason: 'invalid_timestamp' },
  { key: 'rogue-1', value: '{"stream":"rogue-1","value":1}', reason: 'no_matching_model' },
  // After all of s-02's rows (same key, same partition): older and repeated timestamps.
  { key: 's-02', value: JSON.stringify({ stream: 's-02', ts: new Date(T0).toISOString(), value: 5000 }), reason: 'out_of_order' },
  { key: 's-02', value: JSON.stringify({ stream: 's-02', ts: new Date(T0 + (ROWS - 1) * HALF_HOUR).toISOString(), value: 5000 }), reason: 'duplicate_timestamp' },
];

describe('anomalyd run against a real broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  const input = uniqueName('e2e-input');
  const alerts = uniqueName('e2e-alerts');
  const deadLetter = uniqueName('e2e-dlq');
  const groupId = uniqueName('e2e-group');
  let configFile: string;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 4 }] });
    configFile = writeTestConfig({ scoring: 'model-only',
      brokers: process.env.KAFKA_BROKERS!,
      input,
      alerts,
      deadLetter,
      groupId,
      // Only s-* streams have a model; anything else is dead-lettered as no_matching_model.
      match: 's-*',
    });
  });

  afterAll(async () => {
    daemon?.kill();
    await admin?.disconnect();
  });

  it(`scores ${STREAMS} streams: one open alert per injected spike, none on clean streams, every malformed event dead-lettered`, async () => {
    daemon = new DaemonProcess(configFile);
    await daemon.ready();

    const producer = kafka.producer();
    await producer.connect();
    const started = Date.now();
    for (let row = 0; row < ROWS; row++) {
      await producer.send({
        topic: input,
        // Past data: the message timestamp is the event's, as input.maxTimestampSkewMs expects of a replay.
        messages: Array.from({ length: STREAMS }, (_, i) => ({ key: streamId(i), value: JSON.stringify(event(i, row)), timestamp: String(T0 + row * HALF_HOUR) })),
      });
    }
    await producer.send({ topic: input, messages: malformed.map((m) => ({ key: m.key, value: m.value, timestamp: String(T0 + ROWS * HALF_HOUR) })) });
    await producer.disconnect();
    await waitForCommitted(admin, groupId, input);
    const seconds = (Date.now() - started) / 1000;
    console.log(`end to end: ${STREAMS * ROWS + malformed.length} events in ${seconds.toFixed(2)} s (${((STREAMS * ROWS) / seconds).toFixed(0)} events/s incl. produce and commit)`);

    const published = (await readAll(kafka, alerts)).map((m) => JSON.parse(m.value!.toString()) as Alert);
    for (let i = 0; i < STREAMS; i++) {
      const opens = published.filter((a) => a.stream === streamId(i) && a.state === 'open');
      if (i < SPIKY) {
        expect(opens, `${streamId(i)} has a spike at row ${SPIKE_ROW}`).toHaveLength(1);
        expect(opens[0].startIndex).toBeLessThanOrEqual(SPIKE_ROW + 4);
        expect(opens[0].startIndex).toBeGreaterThanOrEqual(SPIKE_ROW);
        expect(Math.max(...opens[0].peak.values.flat())).toBeCloseTo(value(i, SPIKE_ROW), 1);
      } else {
        expect(opens, `${streamId(i)} is clean`).toEqual([]);
      }
    }
    // Alert messages are keyed by stream, and an episode keeps one id from open to resolved.
    const byId = new Map<string, Alert[]>();
    for (const a of published) byId.set(a.alertId, [...(byId.get(a.alertId) ?? []), a]);
    for (const episode of byId.values()) expect(episode[0].state).toBe('open');

    const letters = await readAll(kafka, deadLetter);
    const got = letters.map((m) => ({
      key: m.key?.toString() ?? null,
      value: m.value!.toString(),
      reason: m.headers!['anomalyd-reason']!.toString(),
    }));
    expect(got.sort((a, b) => a.value.localeCompare(b.value))).toEqual([...malformed].sort((a, b) => a.value.localeCompare(b.value)));
    for (const m of letters) {
      expect(m.headers!['anomalyd-detail']!.toString().length).toBeGreaterThan(0);
      expect(m.headers!['anomalyd-source-topic']!.toString()).toBe(input);
    }
  });

  it('commits everything on SIGTERM, and a restart reads only what came after', async () => {
    expect(daemon, 'the first test started the daemon').toBeDefined();
    expect(await daemon!.stop()).toBe(0);
    expect(daemon!.logs.some((l) => l.msg === 'drained and committed')).toBe(true);
    const ends = await admin.fetchTopicOffsets(input);
    const committed = await committedOffsets(admin, groupId, input);
    for (const e of ends) expect(committed.get(e.partition)).toBe(BigInt(e.high));

    const producer = kafka.producer();
    await producer.connect();
    for (let row = ROWS; row < ROWS + MORE_ROWS; row++) {
      await producer.send({
        topic: input,
        // Past data: the message timestamp is the event's, as input.maxTimestampSkewMs expects of a replay.
        messages: Array.from({ length: STREAMS }, (_, i) => ({ key: streamId(i), value: JSON.stringify(event(i, row)), timestamp: String(T0 + row * HALF_HOUR) })),
      });
    }
    await producer.disconnect();

    daemon = new DaemonProcess(configFile);
    const { metricsUrl } = await daemon.ready();
    await waitForCommitted(admin, groupId, input);
    // The metrics sink sees a batch right after its transaction commits.
    const scrape = async () => parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text());
    const counted = (samples: Awaited<ReturnType<typeof scrape>>) => findSamples(samples, 'anomalyd_events_total').reduce((s, x) => s + x.value, 0);
    let samples = await scrape();
    for (let i = 0; i < 50 && counted(samples) < STREAMS * MORE_ROWS; i++) {
      await new Promise((r) => setTimeout(r, 100));
      samples = await scrape();
    }
    const total = counted(samples);
    // Exactly the new events: nothing committed before the restart was read again.
    expect(total).toBe(STREAMS * MORE_ROWS);
    // Window state is restored from the changelog: no stream warms up again.
    expect(findSamples(samples, 'anomalyd_events_total', { outcome: 'warming_up' })[0]?.value ?? 0).toBe(0);
    expect(findSamples(samples, 'anomalyd_events_total', { outcome: 'scored' })[0].value).toBe(STREAMS * MORE_ROWS);
    expect(await daemon.stop()).toBe(0);
  });
});
