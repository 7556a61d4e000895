import { describe, expect, it } from 'vitest';
import { decodeEvent, MAX_STREAM_ID_BYTES } from './decode.js';
import type { KafkaSourceRef } from './source-ref.js';

const fields = { stream: 'stream', timestamp: 'ts', value: 'value', values: 'values' };
const DAY = 86_400_000;
const opts = { fields, maxTimestampSkewMs: 7 * DAY };
const BROKER_TS = Date.parse('2026-11-22T10:00:00Z');
const ref = (value: string | null, key: string | null = null): KafkaSourceRef => ({
  topic: 't',
  partition: 0,
  offset: '7',
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: BROKER_TS,
});
const reason = (d: ReturnType<typeof decodeEvent>) => ('rejected' in d ? d.rejected.reason : 'ok');

describe('decodeEvent', () => {
  it('decodes an ISO timestamp and a single value', () => {
    const d = decodeEvent(ref('{"stream":"fw-01","ts":"2026-11-22T10:00:00Z","value":7009.73}'), opts, 5);
    expect(d).toMatchObject({ stream: 'fw-01', ts: Date.parse('2026-11-22T10:00:00Z'), values: [7009.73], receivedAt: 5 });
  });

  it('takes epoch ms, multivariate values, and the key when the stream field is absent', () => {
    const d = decodeEvent(ref(`{"ts":${BROKER_TS - 123},"values":[1,2.5]}`, 'proxy-2'), opts);
    expect(d).toMatchObject({ stream: 'proxy-2', ts: BROKER_TS - 123, values: [1, 2.5] });
  });

  it('falls back to the broker timestamp when the event has none', () => {
    expect(decodeEvent(ref('{"stream":"a","value":1}'), opts)).toMatchObject({ ts: BROKER_TS });
  });

  it('honours configured field names', () => {
    const d = decodeEvent(ref('{"host":"a","time":5,"eps":3}'), { fields: { stream: 'host', timestamp: 'time', value: 'eps', values: 'vs' }, maxTimestampSkewMs: 0 });
    expect(d).toMatchObject({ stream: 'a', ts: 5, values: [3] });
  });

  it.each([
    ['not json', 'invalid_json'],
    ['', 'invalid_json'],
    ['[1,2]', 'invalid_json'],
    ['{"value":1}', 'missing_field'],
    ['{"stream":"a"}', 'missing_field'],
    ['{"stream":"a","values":[]}', 'missing_field'],
    ['{"stream":"a","value":"12"}', 'non_finite_value'],
    ['{"stream":"a","value":null}', 'non_finite_value'],
    ['{"stream":"a","values":[1,"x"]}', 'non_finite_value'],
    ['{"stream":"a","value":1e999}', 'non_finite_value'],
    ['{"stream":"a","ts":"yesterday","value":1}', 'invalid_timestamp'],
    ['{"stream":"a","ts":true,"value":1}', 'invalid_timestamp'],
    ['{"stream":"a","ts":"1","value":1}', 'invalid_timestamp'],
    ['{"stream":"a","ts":"bad-45","value":1}', 'invalid_timestamp'],
    ['{"stream":"a","ts":"2024-02-30T00:00:00Z","value":1}', 'invalid_timestamp'],
    ['{"stream":"a","ts":1e16,"value":1}', 'invalid_timestamp'],
    ['{"stream":"a","ts":"+275760-09-13T00:00:00Z","value":1}', 'invalid_timestamp'],
    ['{"stream":"a","ts":"2026-12-22T10:00:00Z","value":1}', 'timestamp_skew'],
    ['{"stream":"a","ts":"2025-11-22T10:00:00Z","value":1}', 'timestamp_skew'],
    ['{"stream":"a","value":3.5e38}', 'value_out_of_range'],
    ['{"stream":"a","values":[1,-1e39]}', 'value_out_of_range'],
    [`{"stream":"${'x'.repeat(MAX_STREAM_ID_BYTES + 1)}","value":1}`, 'stream_id_too_long'],
    [`{"stream":"${'é'.repeat(MAX_STREAM_ID_BYTES / 2 + 1)}","value":1}`, 'stream_id_too_long'],
    ['{"__proto__":{"stream":"a","value":1}}', 'missing_field'],
  ])('rejects %s as %s, keeping the source', (text, expected) => {
    const d = decodeEvent(ref(text), opts);
    expect(reason(d)).toBe(expected);
    if ('rejected' in d) expect(d.rejected.source?.offset).toBe('7');
  });

  it('rejects a null message body', () => {
    expect(reason(decodeEvent(ref(null), opts))).toBe('invalid_json');
  });

  it('accepts a stream id of exactly the byte limit and the largest float32', () => {
    const stream = 'é'.repeat(MAX_STREAM_ID_BYTES / 2);
    expect(decodeEvent(ref(JSON.stringify({ stream, value: 3.4028234663852886e38 })), opts)).toMatchObject({ stream, values: [3.4028234663852886e38] });
  });

  it('accepts event times within the skew of the broker timestamp, and any time with the check off', () => {
    expect(decodeEvent(ref(`{"stream":"a","ts":${BROKER_TS - 6 * DAY},"value":1}`), opts)).toMatchObject({ ts: BROKER_TS - 6 * DAY });
    expect(decodeEvent(ref('{"stream":"a","ts":"2001-01-01T00:00:00Z","value":1}'), { fields, maxTimestampSkewMs: 0 })).toMatchObject({ ts: Date.UTC(2001, 0, 1) });
  });

  it('never throws and keeps its detail short, whatever the payload', () => {
    const deep = `{"stream":"a","value":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const deepObj = `{"stream":"a","ts":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)},"value":1}`;
    const hugeString = JSON.stringify({ stream: 'a', value: 'x'.repeat(700_000) });
    const hugeTs = JSON.stringify({ stream: 'a', ts: 'y'.repeat(700_000), value: 1 });
    const bigKey = JSON.stringify({ stream: 'k'.repeat(1_000_000), value: 1 });
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    for (const payload of [deep, deepObj, hugeString, hugeTs, bigKey, bytes.toString('latin1')]) {
      const d = decodeEvent(ref(payload), opts);
      expect('rejected' in d).toBe(true);
      if ('rejected' in d) expect(d.rejected.detail.length).toBeLessThan(400);
    }
  });
});
