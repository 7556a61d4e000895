import { parentPort, workerData } from 'node:worker_threads';
import { CompressionTypes, Kafka, logLevel, type Message } from 'kafkajs';
import { EpsTraffic, streamId } from './traffic.js';

/** Worker thread: produces `rate` events/s for `seconds`, so the producer does not share the daemon's event loop. */
export interface PacedProducerData {
  brokers: string[];
  topic: string;
  rate: number;
  seconds: number;
  streams: number;
}

async function main(d: PacedProducerData): Promise<void> {
  const kafka = new Kafka({ clientId: 'anomalyd-bench-paced', brokers: d.brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const total = Math.round(d.rate * d.seconds);
  const traffic = new EpsTraffic({ streams: d.streams, rows: Math.ceil(total / d.streams) });
  const tickMs = 10;
  const started = performance.now();
  let sent = 0;
  // Sends are chained, one at a time, so the topic holds each stream's events in time order
  // (concurrent sends may be appended in another order); the pacing loop does not wait for them.
  let sending: Promise<unknown> = Promise.resolve();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * d.rate));
    if (due > sent) {
      const messages: Message[] = [];
      for (; sent < due; sent++) {
        const stream = sent % d.streams;
        const row = Math.floor(sent / d.streams);
        messages.push({ key: streamId(stream), value: traffic.json(stream, row) });
      }
      sending = sending.then(() => producer.send({ topic: d.topic, messages, acks: 1, compression: CompressionTypes.None }));
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await sending;
  await producer.disconnect();
  parentPort!.postMessage({ sent, seconds: (performance.now() - started) / 1000 });
}

main(workerData as PacedProducerData).catch((err) => {
  parentPort!.postMessage({ error: (err as Error).message });
});
