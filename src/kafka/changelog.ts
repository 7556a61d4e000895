import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { StreamSnapshot } from '../pipeline/types.js';
import { decodeStateRecord, type StateRecord } from './state-record.js';
import { CHANGELOG_TOPIC_HEADER } from './messages.js';
import type { TopicPartition } from './partition-producers.js';

/** Joining the restore group and fetching take well under this; longer means stuck. */
const RESTORE_STALL_MS = 60_000;

export interface RestoredStream {
  /** The input partition the stream lives on. */
  input: TopicPartition;
  snapshot: StreamSnapshot;
}

/**
 * The latest committed state record of every stream of the `inputs` partitions: changelog
 * partition p holds input partition p's streams (each record names its input topic). A record that
 * cannot be decoded is reported to `onUnreadable` and its stream starts afresh. Reads
 * read_committed up to the end offsets taken at the start, which kafkajs' admin lists read_committed
 * too: the last stable offset, never past a transaction still open. The caller has fenced the
 * partitions' transactional ids first, so a dead owner's transaction is aborted and does not hold
 * that offset back.
 *
 * kafkajs has no consumer without a group, so this joins a throwaway group of its own (no offsets
 * are committed; the coordinator forgets the group when it leaves).
 */
export async function readChangelog(
  kafka: Kafka,
  topic: string,
  inputs: TopicPartition[],
  groupId: string,
  onUnreadable: (stream: string, err: Error) => void = () => {},
): Promise<Map<string, RestoredStream>> {
  const wanted = new Map<number, Set<string>>();
  for (const tp of inputs) wanted.set(tp.partition, (wanted.get(tp.partition) ?? new Set()).add(tp.topic));
  const out = new Map<string, RestoredStream>();

  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((o) => wanted.has(o.partition) && BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return out;

  const positions = new Map<number, bigint>();
  let stalled: NodeJS.Timeout | undefined;
  const consumer = kafka.consumer({ groupId: `${groupId}.restore.${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // Never wait silently: a restore that stops advancing fails with where it stood, and is retried.
      const watch = () => {
        clearTimeout(stalled);
        stalled = setTimeout(() => {
          const at = [...ends].map(([p, end]) => `partition ${p} at ${positions.get(p) ?? 'start'} of ${end}`).join(', ');
          reject(new Error(`reading the state changelog ${topic} made no progress for ${RESTORE_STALL_MS / 1000} s (${at})`));
        }, RESTORE_STALL_MS);
      };
      watch();
      // END_BATCH_PROCESS also reports batches that held only transaction markers or aborted records.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        watch();
        positions.set(payload.partition, BigInt(payload.lastOffset) + 1n);
        const end = ends.get(payload.partition);
        if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) ends.delete(payload.partition);
        if (ends.size === 0) resolve();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const topics = wanted.get(batch.partition);
            if (topics === undefined) return;
            for (const m of batch.messages) {
              if (m.key === null) continue;
              const stream = m.key.toString();
              // A tombstone: whatever the stream held is gone (a stream id has one record, whatever its input topic).
              if (m.value === null) {
                out.delete(stream);
                continue;
              }
              let record: StateRecord;
              try {
                record = decodeStateRecord(m.value, m.headers?.[CHANGELOG_TOPIC_HEADER]?.toString());
              } catch (err) {
                out.delete(stream);
                onUnreadable(stream, err as Error);
                continue;
              }
              if (topics.has(record.input)) out.set(stream, { input: { topic: record.input, partition: batch.partition }, snapshot: record.state });
            }
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(stalled);
    await consumer.disconnect();
  }
  return out;
}
