import type { KafkaSourceRef } from './source-ref.js';

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read, as Kafka commits it. */
  offset: string;
}

/**
 * Remembers, per partition, the highest offset whose work is delivered. Batches complete in
 * arrival order and a partition's messages arrive in order, so the highest delivered offset is
 * also the end of a contiguous delivered prefix.
 */
export class OffsetTracker {
  private readonly delivered = new Map<string, { topic: string; partition: number; offset: bigint }>();
  private readonly committed = new Map<string, bigint>();

  markDelivered(sources: readonly KafkaSourceRef[]): void {
    for (const s of sources) {
      const key = `${s.topic}\u0000${s.partition}`;
      const offset = BigInt(s.offset);
      const prev = this.delivered.get(key);
      if (prev === undefined || offset > prev.offset) this.delivered.set(key, { topic: s.topic, partition: s.partition, offset });
    }
  }

  /** Offsets to commit now (those that moved since the last commit). */
  pending(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const [key, d] of this.delivered) {
      const next = d.offset + 1n;
      if (this.committed.get(key) !== next) out.push({ topic: d.topic, partition: d.partition, offset: next.toString() });
    }
    return out;
  }

  markCommitted(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.committed.set(`${o.topic}\u0000${o.partition}`, BigInt(o.offset));
  }

  committedOffset(topic: string, partition: number): bigint | undefined {
    return this.committed.get(`${topic}\u0000${partition}`);
  }

  /** Forget partitions this member no longer owns. */
  forget(isOwned: (topic: string, partition: number) => boolean): void {
    for (const [key, d] of this.delivered) {
      if (!isOwned(d.topic, d.partition)) {
        this.delivered.delete(key);
        this.committed.delete(key);
      }
    }
  }
}
