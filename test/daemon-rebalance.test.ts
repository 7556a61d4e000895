import { afterAll, describe, expect, it } from 'vitest';
import { findSamples, parseExposition } from '../src/metrics/exposition.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { HALF_HOUR, T0 } from './support/eps.js';
import { cleanSegments } from './support/clean-segments.js';
import { testKafka, uniqueName, waitForCommitted } from './support/kafka.js';

/** Two daemons in one consumer group: the second one's arrival takes partitions, and their streams' state, from the first. */
describe('a consumer-group rebalance', () => {
  const daemons: DaemonProcess[] = [];
  afterAll(() => daemons.forEach((d) => d.kill()));

  it('moves the state of the partitions it hands over (the new member restores it instead of warming up), and each series lives on one member only', async () => {
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
    // The first member gave partitions away: it rejoined with fewer.
    const rejoined = await first.waitForLog((l) => l.msg === 'joined the consumer group' && Object.values(l.assignment as Record<string, number[]>).flat().length < 4, 'the first member giving partitions away');
    expect(Object.values(rejoined.assignment as Record<string, number[]>).flat().length).toBeGreaterThan(0);

    await produceRows(20, 40);
    await waitForCommitted(admin, groupId, input);
    // Before its first batch of a partition, a member loads the partition's streams from the changelog.
    const restored = await second.waitForLog((l) => l.msg === 'state restored from the changelog', 'the second member restoring state');
    expect(restored.restoredStreams as number).toBeGreaterThan(0);
    // The new member continues the streams of its partitions where the first left them: no warm-up.
    const scrape = async () => parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text());
    let samples = await scrape();
    for (let i = 0; i < 50 && (findSamples(samples, 'anomalyd_events_total', { outcome: 'scored' })[0]?.value ?? 0) === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      samples = await scrape();
    }
    expect(findSamples(samples, 'anomalyd_events_total', { outcome: 'scored' })[0].value).toBeGreaterThan(0);
    expect(findSamples(samples, 'anomalyd_events_total', { outcome: 'warming_up' })[0]?.value ?? 0).toBe(0);

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
