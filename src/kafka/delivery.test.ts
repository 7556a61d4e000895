import { describe, expect, it } from 'vitest';
import { deadLetterMessage, MAX_HEADER_BYTES, messageBytes, truncateUtf8 } from './delivery.js';

describe('truncateUtf8', () => {
  it('keeps a string within the limit as it is', () => {
    expect(truncateUtf8('fw-01', 5)).toBe('fw-01');
  });

  it('cuts at a character boundary, never splitting a multi-byte character, and marks the cut', () => {
    const cut = truncateUtf8('🙂'.repeat(10), 13);
    expect(cut).toBe('🙂🙂…');
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(13);
    for (const max of [4, 5, 6, 7, 100]) expect(Buffer.byteLength(truncateUtf8('é🙂x'.repeat(50), max))).toBeLessThanOrEqual(max);
  });
});

describe('deadLetterMessage', () => {
  it('carries the original bytes untouched and cuts every header to 1 KiB', () => {
    const value = Buffer.from('y'.repeat(700_000));
    const m = deadLetterMessage({
      reason: 'invalid_json',
      detail: 'd'.repeat(5000),
      stream: 's'.repeat(5000),
      source: { topic: 't', partition: 3, offset: '42', key: Buffer.from('k'), value, timestamp: 0 },
    });
    expect(m.value).toBe(value);
    for (const v of Object.values(m.headers!)) expect(Buffer.byteLength(String(v))).toBeLessThanOrEqual(MAX_HEADER_BYTES);
    expect(m.headers).toMatchObject({ 'anomalyd-reason': 'invalid_json', 'anomalyd-source-partition': '3', 'anomalyd-source-offset': '42' });
    // The message is the input plus about 2 kB, not twice the input.
    expect(messageBytes(m)).toBeLessThan(value.length + 3 * MAX_HEADER_BYTES);
  });
});
