import { describe, expect, it } from 'vitest';
import { CoalescingLanes } from './coalescing-lanes.js';

/** A lane runner whose calls finish when the test says so. */
function gatedRunner() {
  const calls: { lane: string; work: number[] }[] = [];
  const gates: (() => void)[] = [];
  const run = async (lane: string, work: number[]) => {
    calls.push({ lane, work });
    await new Promise<void>((r) => gates.push(r));
  };
  const release = async () => {
    gates.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { calls, run, release };
}

describe('CoalescingLanes', () => {
  it('runs one call at a time per lane, merging in order what was submitted meanwhile', async () => {
    const { calls, run, release } = gatedRunner();
    const lanes = new CoalescingLanes<number[]>(run, (a, b) => [...a, ...b]);
    const first = lanes.submit('p0', [1]);
    const second = lanes.submit('p0', [2]);
    const third = lanes.submit('p0', [3, 4]);
    expect(second).toBe(third);
    expect(calls).toEqual([{ lane: 'p0', work: [1] }]);
    await release();
    await first;
    expect(calls).toEqual([{ lane: 'p0', work: [1] }, { lane: 'p0', work: [2, 3, 4] }]);
    await release();
    await third;
    expect(lanes.active).toBe(0);
  });

  it('keeps lanes independent: a slow call holds up only its own lane', async () => {
    const order: string[] = [];
    const gates = new Map<string, () => void>();
    const lanes = new CoalescingLanes<string>(async (lane, work) => {
      order.push(`start ${work}`);
      if (lane === 'slow') await new Promise<void>((r) => gates.set(lane, r));
      order.push(`end ${work}`);
    }, (a, b) => `${a}+${b}`);
    const slow = lanes.submit('slow', 's1');
    await lanes.submit('fast', 'f1');
    await lanes.submit('fast', 'f2');
    expect(order).toEqual(['start s1', 'start f1', 'end f1', 'start f2', 'end f2']);
    gates.get('slow')!();
    await slow;
    expect(order.at(-1)).toBe('end s1');
  });

  it('rejects the submissions of a failed call and goes on with the lane', async () => {
    const lanes = new CoalescingLanes<number>(async (_lane, n) => {
      if (n === 1) throw new Error('boom');
    }, (a, b) => a + b);
    await expect(lanes.submit('p', 1)).rejects.toThrow('boom');
    await expect(lanes.submit('p', 2)).resolves.toBeUndefined();
  });
});
