import { afterAll, describe, expect, it } from 'vitest';
import { kafkaSchema } from '../src/config/schema.js';
import { createKafka } from '../src/kafka/client.js';
import { KafkaSource, refBytes } from '../src/kafka/source.js';
import type { Decoded } from '../src/kafka/decode.js';
import { createLogger } from '../src/log.js';
import { testKafka, uniqueName } from './support/kafka.js';

/** The source's in-flight budget counts bytes as well as events: large events hold fetching long before their count would. */
describe('KafkaSource backpressure', () => {
  let source: KafkaSource | undefined;
  afterAll(async () => {
    source?.close();
    await source?.disconnect();
  });

  it('holds fetching once the bytes in flight reach maxInFlightBytes, and resumes when they are delivered', async () => {
    const topic = uniqueName('bytes-in');
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // Two partitions of 5 events of 10 kB each; the budget is 20 kB and 1 000 events.
    for (const partition of [0, 1]) {
      await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ partition, value: JSON.stringify({ stream: `p${partition}`, value: i, pad: 'x'.repeat(10_000) }) })) });
    }
    await producer.disconnect();

    const log = createLogger('warn');
    const client = createKafka(kafkaSchema.parse({ brokers: process.env.KAFKA_BROKERS!, clientId: 'bytes-test' }), log);
    source = new KafkaSource(
      client,
      { groupId: uniqueName('bytes-group'), topics: [topic], fromBeginning: true, decode: { fields: { stream: 'stream', timestamp: 'ts', value: 'value', values: 'values' }, maxTimestampSkewMs: 0 }, maxInFlight: 1000, maxInFlightBytes: 20_000 },
      log,
    );
    const seen: Decoded[] = [];
    source.events$.subscribe((d) => seen.push(d));
    await source.start(client, () => false);
    const until = async (test: () => boolean, what: string) => {
      for (const deadline = Date.now() + 60_000; !test(); ) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until(() => seen.length >= 5, 'the first partition');
    // Held: one fetch batch (one partition, 50 kB) is past the 20 kB budget; the other partition waits.
    await new Promise((r) => setTimeout(r, 3000));
    expect(seen).toHaveLength(5);
    expect(source.pending).toBe(5);
    const bytes = seen.reduce((n, d) => n + refBytes('rejected' in d ? d.rejected.source! : d.source!), 0);
    source.completed(5, bytes);
    await until(() => seen.length === 10, 'the second partition after the first was delivered');
    expect(new Set(seen.map((d) => ('rejected' in d ? '' : d.stream)))).toEqual(new Set(['p0', 'p1']));
  });
});
