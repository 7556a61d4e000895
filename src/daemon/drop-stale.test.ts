import { describe, expect, it } from 'vitest';
import type { KafkaSourceRef } from '../kafka/source-ref.js';
import type { Alert, BatchResult } from '../pipeline/types.js';
import { dropStale } from './drop-stale.js';

const ref = (partition: number, offset: number, epoch: number): KafkaSourceRef => ({ topic: 't', partition, offset: String(offset), key: null, value: null, timestamp: 0, epoch });

describe('dropStale', () => {
  const batch: BatchResult<KafkaSourceRef> = {
    scored: [],
    alerts: [{ stream: 'on-0' } as Alert, { stream: 'on-1' } as Alert],
    rejected: [{ reason: 'invalid_json', detail: 'x', source: ref(1, 7, 1) }],
    sources: [ref(0, 5, 2), ref(1, 6, 1), ref(1, 7, 1)],
    events: 3,
    inference: [],
    state: [
      { stream: 'on-0', snapshot: null },
      { stream: 'on-1', snapshot: null },
    ],
  };
  const partitionOf = (stream: string) => ({ topic: 't', partition: Number(stream.slice(3)) });

  it('keeps a batch whose partitions are all current as it is', () => {
    expect(dropStale(batch, () => true, partitionOf)).toBe(batch);
  });

  it('removes the work of a partition re-prepared since it was fetched', () => {
    // Partition 1 is now in epoch 2: its epoch-1 events are redone from the committed offset.
    const live = dropStale(batch, (tp, epoch) => epoch === 2 || tp.partition === 0, partitionOf);
    expect(live.sources.map((s) => s.offset)).toEqual(['5']);
    expect(live.events).toBe(1);
    expect(live.alerts.map((a) => a.stream)).toEqual(['on-0']);
    expect(live.rejected).toEqual([]);
    expect(live.state.map((s) => s.stream)).toEqual(['on-0']);
  });
});
