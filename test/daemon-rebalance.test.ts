import { afterAll, describe, expect, it } from 'vitest';
import { findSamples, parseExposition } from '../src/metrics/exposition.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { HALF_HOUR, T0 } from './support/eps.js';
import { cleanSegments } from './support/clean-segments.js';
import { testKafka, uniqueName, waitForCommitted } from './support/kafka.js';

/** Two daemons in one consumer group: the second one's arrival takes partitions from the first. */
describe('a consumer-group rebalance', () => {
  const daemons: DaemonProcess[] = [];
  afterAll(() => daemons.forEach((d) => d.kill()));

  it('drops the window state and silence series of revoked partitions, and both members finish the topic', async () => {
    const STREAMS = 24;
    const input = uniqueName('rebalance-input');
    const groupId = uniqueName('rebalance-group');
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 4 }] });
    const config = writeTestConfig({ brokers: process.env.KAFKA_BROKERS!, input, alerts: uniqueName('rebalance-alerts'), deadLetter: uniqueName('rebalance-dlq'), groupId });
    const { values, offsets } = await cleanSegments('timeseries2.csv', 40);
    const producer = kafka.producer();
    await producer.connect();
    const produceRows = async (from: number, to: number) => {
      for (let row = from; row < to; row++) {
        await producer.send({
          topic: input,
          messages: Array.from({ length: STREAMS }, (_, i) => ({
            key: `r-${i}`,
            value: JSON.stringify({ stream: `r-${i}`, ts: T0 + row * HALF_HOUR, value: values[offsets[i % offsets.length] + row] }),
            // Past data: the message timestamp is the event's, as input.maxTimestampSkewMs expects of a replay.
            timestamp: String(T0 + row * HALF_HOUR),
          })),
        });
      }
    };

    const first = new DaemonProcess(config);
    daemons.push(first);
    const firstUrl = (await first.ready()).metricsUrl;
    await produceRows(0, 20);
    await waitForCommitted(admin, groupId, input);

    const second = new DaemonProcess(config);
    daemons.push(second);
    const { metricsUrl } = await second.ready();
    const revoked = await first.waitForLog((l) => l.msg === 'partitions revoked; their streams warm up again', 'the revocation on the first member');
    expect(revoked.droppedStreams as number).toBeGreaterThan(0);
    expect(Object.values(revoked.revoked as Record<string, number[]>).flat().length).toBeGreaterThan(0);

    await produceRows(20, 40);
    await waitForCommitted(admin, groupId, input);
    // The new member starts the streams of its partitions from scratch: seqStep-1 warm-up events each.
    const samples = parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text());
    const warming = findSamples(samples, 'anomalyd_events_total', { outcome: 'warming_up' })[0].value;
    const streams = findSamples(samples, 'anomalyd_active_streams')[0].value;
    expect(streams).toBeGreaterThan(0);
    expect(warming).toBe(streams * 4);

    // Each stream's newest-event series lives only on the member that receives it now: a revoked
    // stream left behind on the first member would read as a silent source there.
    const newestOn = async (url: string) =>
      findSamples(parseExposition(await (await fetch(`${url}/metrics`)).text()), 'anomalyd_stream_last_event_timestamp_seconds').map((x) => x.labels.stream);
    const onFirst = await newestOn(firstUrl);
    const onSecond = await newestOn(metricsUrl);
    expect(onFirst.filter((s) => onSecond.includes(s))).toEqual([]);
    expect([...onFirst, ...onSecond].sort()).toEqual(Array.from({ length: STREAMS }, (_, i) => `r-${i}`).sort());

    await producer.disconnect();
    await admin.disconnect();
    expect(await second.stop()).toBe(0);
    expect(await first.stop()).toBe(0);
  });
});
