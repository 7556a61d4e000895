import { describe, expect, it } from 'vitest';
import { CommittedOffsets } from './committed-offsets.js';

describe('CommittedOffsets', () => {
  it('keeps the last committed offset per partition, beyond 2^53 too', () => {
    const c = new CommittedOffsets();
    c.set('a', 0, 6n);
    c.set('a', 0, 9007199254740994n);
    c.set('a', 1, 3n);
    expect(c.get('a', 0)).toBe(9007199254740994n);
    expect(c.get('a', 1)).toBe(3n);
    expect(c.get('b', 0)).toBeUndefined();
  });

  it('forgets the partitions no longer owned', () => {
    const c = new CommittedOffsets();
    c.set('a', 0, 1n);
    c.set('a', 1, 1n);
    c.forget((_, p) => p === 1);
    expect(c.get('a', 0)).toBeUndefined();
    expect(c.get('a', 1)).toBe(1n);
  });
});
