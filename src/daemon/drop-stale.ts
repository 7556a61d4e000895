import type { TopicPartition } from '../kafka/partition-producers.js';
import type { KafkaSourceRef } from '../kafka/source-ref.js';
import type { BatchResult } from '../pipeline/types.js';

/**
 * The part of `batch` whose partitions still take its work: after a rebalance or a fenced
 * transaction, what was fetched before is redone from the committed offset (by this member or
 * another), so it must reach no sink, not even the metrics.
 */
export function dropStale(
  batch: BatchResult<KafkaSourceRef>,
  isCurrent: (tp: TopicPartition, epoch: number | undefined) => boolean,
  partitionOf: (stream: string) => TopicPartition | undefined,
): BatchResult<KafkaSourceRef> {
  const epochs = new Map<string, number | undefined>();
  const stale = new Set<string>();
  for (const s of batch.sources) {
    const key = `${s.topic}\u0000${s.partition}`;
    if (!epochs.has(key)) {
      epochs.set(key, s.epoch);
      if (!isCurrent(s, s.epoch)) stale.add(key);
    }
  }
  if (stale.size === 0) return batch;
  const live = (stream: string) => {
    const tp = partitionOf(stream);
    return tp !== undefined && !stale.has(`${tp.topic}\u0000${tp.partition}`);
  };
  const sources = batch.sources.filter((s) => !stale.has(`${s.topic}\u0000${s.partition}`));
  return {
    scored: batch.scored.filter((w) => live(w.stream)),
    alerts: batch.alerts.filter((a) => live(a.stream)),
    rejected: batch.rejected.filter((r) => r.source !== undefined && !stale.has(`${r.source.topic}\u0000${r.source.partition}`)),
    sources,
    events: sources.length,
    inference: batch.inference,
    state: batch.state.filter((s) => live(s.stream)),
  };
}
