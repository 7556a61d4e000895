import { Kafka, logLevel, type Admin, type KafkaMessage } from 'kafkajs';

export function testKafka(): Kafka {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: the vitest global setup starts the broker');
  return new Kafka({ clientId: 'anomalyd-test-client', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Topic and group names of one test run, unique so runs on a shared broker never meet. */
export function runNames(prefix: string): { input: string; alerts: string; deadLetter: string; groupId: string } {
  return { input: uniqueName(`${prefix}-in`), alerts: uniqueName(`${prefix}-alerts`), deadLetter: uniqueName(`${prefix}-dlq`), groupId: uniqueName(`${prefix}-group`) };
}

/**
 * Every message of a topic from the beginning up to its end offsets now, read committed (or, with
 * `readUncommitted`, aborted transactions' messages too). The end of a transactional topic is a
 * commit marker, which no message reports; kafkajs' end-of-batch event does (its lastOffset covers
 * markers and aborted records).
 */
export async function readAll(kafka: Kafka, topic: string, opts: { readUncommitted?: boolean } = {}): Promise<KafkaMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => e.high !== e.low).map((e) => [e.partition, BigInt(e.high)]));
  const out: KafkaMessage[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: opts.readUncommitted ?? false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (BigInt(payload.lastOffset) + 1n >= (remaining.get(payload.partition) ?? 0n)) remaining.delete(payload.partition);
      if (remaining.size === 0) resolve();
    });
    void consumer.run({
      eachMessage: async ({ message }) => {
        out.push(message);
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/** Waits until the group has committed every partition of `topic` up to its end offset. */
export async function waitForCommitted(admin: Admin, groupId: string, topic: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ends: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
    let committed: Awaited<ReturnType<Admin['fetchOffsets']>>[number];
    try {
      ends = await admin.fetchTopicOffsets(topic);
      [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    } catch (err) {
      // A broker recovering (e.g. from a freeze) answers "not the leader" or "not the coordinator" for a while.
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    const behind = ends.filter((e) => {
      const c = committed.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
      return BigInt(e.high) > 0n && BigInt(c) < BigInt(e.high);
    });
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId} did not commit ${topic} to its end: ${JSON.stringify(behind)} vs ${JSON.stringify(committed.partitions)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(committed.partitions.map((p) => [p.partition, BigInt(p.offset)]));
}
