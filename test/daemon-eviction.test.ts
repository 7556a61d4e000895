import { afterAll, describe, expect, it } from 'vitest';
import { findSamples, parseExposition } from '../src/metrics/exposition.js';
import type { Alert } from '../src/pipeline/types.js';
import { cleanSegments } from './support/clean-segments.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { HALF_HOUR, T0 } from './support/eps.js';
import { readAll, runNames, testKafka, waitForCommitted } from './support/kafka.js';

/** Bounded state in the running daemon: an idle stream goes with its open episode resolved and its metric series, and the stream cap holds. */
describe('bounded stream state in anomalyd run', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(() => daemon?.kill());

  it('resolves the open episode of a stream that went quiet (reason evicted), drops its series, and counts it', async () => {
    const ROWS = 30;
    const SPIKE_ROW = 20;
    const names = runNames('evict');
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    // One partition: idleness is measured on the input's event-time clock at each stream's arrival, so
    // with two partitions fetched one after the other the quiet stream could arrive after the busy one's
    // last event and never look idle (a lagging partition is never idle, by design).
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: names.input, numPartitions: 1 }] });
    // Evicted after 3 hours of event time (6 half-hours) without an event.
    const config = writeTestConfig({ brokers: process.env.KAFKA_BROKERS!, ...names, match: 'e-*', sections: { daemon: 'idleEvictAfterMs: 10800000' }, scoring: 'model-only' });
    daemon = new DaemonProcess(config);
    const { metricsUrl } = await daemon.ready();

    const { values, offsets } = await cleanSegments('timeseries2.csv', ROWS + 12);
    const producer = kafka.producer();
    await producer.connect();
    // "e-quiet" spikes at its last row and then sends nothing more: its episode stays open.
    // "e-busy" goes on for 12 more rows (6 hours), carrying the event-time clock past the idle time.
    for (let row = 0; row < ROWS + 12; row++) {
      const ts = T0 + row * HALF_HOUR;
      const messages = [{ key: 'e-busy', value: JSON.stringify({ stream: 'e-busy', ts, value: values[offsets[0] + row] }), timestamp: String(ts) }];
      if (row <= SPIKE_ROW) {
        const v = values[offsets[offsets.length - 1] + row];
        messages.push({ key: 'e-quiet', value: JSON.stringify({ stream: 'e-quiet', ts, value: row === SPIKE_ROW ? v * 3 : v }), timestamp: String(ts) });
      }
      await producer.send({ topic: names.input, messages });
    }
    await producer.disconnect();
    await waitForCommitted(admin, names.groupId, names.input);
    await admin.disconnect();

    const quiet = (await readAll(kafka, names.alerts)).map((m) => JSON.parse(m.value!.toString()) as Alert).filter((a) => a.stream === 'e-quiet');
    expect(quiet.map((a) => [a.state, a.reason])).toEqual([
      ['open', undefined],
      ['resolved', 'evicted'],
    ]);
    expect(quiet[1].alertId).toBe(quiet[0].alertId);
    const samples = parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text());
    expect(findSamples(samples, 'anomalyd_streams_evicted_total')[0].value).toBe(1);
    expect(findSamples(samples, 'anomalyd_active_streams')[0].value).toBe(1);
    expect(findSamples(samples, 'anomalyd_stream_anomaly_score').map((s) => s.labels.stream)).toEqual(['e-busy']);
    expect(daemon.logs.some((l) => l.msg === 'idle streams evicted')).toBe(true);
    expect(await daemon.stop()).toBe(0);
  });

  it('dead-letters the events of new streams beyond daemon.maxActiveStreams as stream_limit, and counts them', async () => {
    const names = runNames('cap');
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: names.input, numPartitions: 1 }] });
    daemon = new DaemonProcess(writeTestConfig({ brokers: process.env.KAFKA_BROKERS!, ...names, match: 'e-*', sections: { daemon: 'maxActiveStreams: 2' }, scoring: 'model-only' }));
    const { metricsUrl } = await daemon.ready();
    const producer = kafka.producer();
    await producer.connect();
    for (let row = 0; row < 6; row++) {
      const ts = T0 + row * HALF_HOUR;
      await producer.send({
        topic: names.input,
        messages: ['e-a', 'e-b', 'e-c'].map((stream) => ({ key: stream, value: JSON.stringify({ stream, ts, value: 1000 + row }), timestamp: String(ts) })),
      });
    }
    await producer.disconnect();
    await waitForCommitted(admin, names.groupId, names.input);
    await admin.disconnect();
    const letters = await readAll(kafka, names.deadLetter);
    expect(letters.map((m) => [m.key!.toString(), m.headers!['anomalyd-reason']!.toString()])).toEqual(Array.from({ length: 6 }, () => ['e-c', 'stream_limit']));
    const samples = parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text());
    expect(findSamples(samples, 'anomalyd_invalid_events_total', { reason: 'stream_limit' })[0].value).toBe(6);
    expect(findSamples(samples, 'anomalyd_active_streams')[0].value).toBe(2);
    expect(await daemon.stop()).toBe(0);
  });
});
