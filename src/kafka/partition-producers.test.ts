import { describe, expect, it } from 'vitest';
import { chunks, isFenced } from './partition-producers.js';

describe('chunks', () => {
  const msg = (n: number) => ({ key: 'k', value: 'x'.repeat(n) });

  it('keeps every message, in order, in requests of at most the size given', () => {
    const topicMessages = [
      { topic: 'alerts', messages: [msg(100), msg(100), msg(100)] },
      { topic: 'changelog', messages: [msg(100), msg(100)] },
    ];
    const out = chunks(topicMessages, 400);
    expect(out.flat().flatMap((t) => t.messages.map((m) => `${t.topic}:${m.value!.length}`))).toEqual(topicMessages.flatMap((t) => t.messages.map((m) => `${t.topic}:${m.value.length}`)));
    expect(out.length).toBeGreaterThan(1);
    for (const request of out) expect(request.flatMap((t) => t.messages).reduce((n, m) => n + 64 + 1 + m.value!.length, 0)).toBeLessThanOrEqual(400);
  });

  it('sends a message larger than the limit alone', () => {
    const out = chunks([{ topic: 't', messages: [msg(10), msg(1000), msg(10)] }], 200);
    expect(out.map((r) => r.flatMap((t) => t.messages.map((m) => m.value!.length)))).toEqual([[10], [1000], [10]]);
  });

  it('sends nothing for nothing', () => {
    expect(chunks([], 100)).toEqual([]);
  });
});

describe('isFenced', () => {
  it('recognises a fenced producer, also wrapped in a retry error', () => {
    expect(isFenced({ type: 'INVALID_PRODUCER_EPOCH' })).toBe(true);
    expect(isFenced({ name: 'KafkaJSNumberOfRetriesExceeded', cause: { type: 'PRODUCER_FENCED' } })).toBe(true);
    expect(isFenced({ type: 'REQUEST_TIMED_OUT' })).toBe(false);
    expect(isFenced(new Error('connection closed'))).toBe(false);
  });
});
