import type { Kafka } from 'kafkajs';
import type { Progress } from './progress.js';

export interface BareConsumerResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

/** A plain kafkajs consumer-group member (eachBatch, JSON.parse per message, nothing else) over the same topic. */
export async function benchBareConsumer(kafka: Kafka, topic: string, events: number, progress: Progress, consumerOptions: object = {}): Promise<BareConsumerResult> {
  const groupId = `bench-bare-${Date.now().toString(36)}`;
  const consumer = kafka.consumer({ groupId, ...consumerOptions });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let firstAt = 0;
  let lastAt = 0;
  let checksum = 0;
  progress.start('bare kafkajs consumer', events);
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          if (firstAt === 0) firstAt = performance.now();
          for (const m of batch.messages) {
            const body = JSON.parse(m.value!.toString('utf8')) as { value: number };
            checksum += body.value;
          }
          seen += batch.messages.length;
          progress.update(seen);
          if (seen >= events) {
            lastAt = performance.now();
            resolve();
          }
        },
      })
      .catch(reject);
  });
  progress.stop();
  await consumer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => {});
  await admin.disconnect();
  if (!Number.isFinite(checksum)) throw new Error('bare consumer read non-numeric values');
  const seconds = (lastAt - firstAt) / 1000;
  return { events: seen, seconds, eventsPerSecond: seen / seconds };
}
