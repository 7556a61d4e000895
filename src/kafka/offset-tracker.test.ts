import { describe, expect, it } from 'vitest';
import { OffsetTracker } from './offset-tracker.js';
import type { KafkaSourceRef } from './source-ref.js';

const src = (topic: string, partition: number, offset: number): KafkaSourceRef => ({
  topic, partition, offset: String(offset), key: null, value: null, timestamp: 0,
});

describe('OffsetTracker', () => {
  it('commits the offset after the highest delivered one per partition, once', () => {
    const t = new OffsetTracker();
    t.markDelivered([src('a', 0, 4), src('a', 1, 9), src('a', 0, 5)]);
    const pending = t.pending();
    expect(pending).toEqual([
      { topic: 'a', partition: 0, offset: '6' },
      { topic: 'a', partition: 1, offset: '10' },
    ]);
    t.markCommitted(pending);
    expect(t.pending()).toEqual([]);
    t.markDelivered([src('a', 1, 10)]);
    expect(t.pending()).toEqual([{ topic: 'a', partition: 1, offset: '11' }]);
    expect(t.committedOffset('a', 0)).toBe(6n);
  });

  it('handles offsets beyond 2^53', () => {
    const t = new OffsetTracker();
    t.markDelivered([{ ...src('a', 0, 0), offset: '9007199254740993' }]);
    expect(t.pending()[0].offset).toBe('9007199254740994');
  });

  it('forgets revoked partitions', () => {
    const t = new OffsetTracker();
    t.markDelivered([src('a', 0, 1), src('a', 1, 1)]);
    t.forget((_, p) => p === 1);
    expect(t.pending()).toEqual([{ topic: 'a', partition: 1, offset: '2' }]);
  });
});
