import { CompressionTypes, type Kafka, type Message } from 'kafkajs';
import type { Progress } from './progress.js';
import { EpsTraffic, streamId } from './traffic.js';

export interface InputTopic {
  topic: string;
  partitions: number;
  events: number;
  /** Seconds spent producing (0 when an existing complete topic was reused). */
  produceSeconds: number;
  reused: boolean;
}

/**
 * Fills `topic` with the traffic, row by row across all streams (how live traffic interleaves),
 * keyed by stream id so a stream stays on one partition in order. A topic that already holds
 * exactly this many events is reused (the name encodes the shape).
 */
export async function prepareInputTopic(kafka: Kafka, traffic: EpsTraffic, partitions: number, progress: Progress): Promise<InputTopic> {
  const { streams, rows } = traffic.shape;
  // v2: v1 topics were produced with concurrent sends, which could land chunks out of order.
  // v3: events 30 minutes apart (were 30 s), each source's series looped over whole days.
  const topic = `bench-input-s${streams}-r${rows}-p${partitions}-v4`;
  const events = traffic.events;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const held = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
      if (held === events && offsets.length === partitions) return { topic, partitions, events, produceSeconds: 0, reused: true };
      await admin.deleteTopics({ topics: [topic] });
      await new Promise((r) => setTimeout(r, 2000));
    }
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  progress.start(`producing ${events} events to ${topic}`, events);
  const chunk = 10_000;
  let batch: Message[] = [];
  let sent = 0;
  // One send at a time: concurrent sends may be appended in another order than they were made, and a
  // stream's events must stay in time order on its partition.
  const flush = async () => {
    const messages = batch;
    batch = [];
    await producer.send({ topic, messages, acks: 1, compression: CompressionTypes.None });
    sent += messages.length;
    progress.update(sent);
  };
  for (let row = 0; row < rows; row++) {
    for (let s = 0; s < streams; s++) {
      batch.push({ key: streamId(s), value: traffic.json(s, row) });
      if (batch.length >= chunk) await flush();
    }
  }
  if (batch.length > 0) await flush();
  await producer.disconnect();
  progress.stop();
  return { topic, partitions, events, produceSeconds: (performance.now() - started) / 1000, reused: false };
}
