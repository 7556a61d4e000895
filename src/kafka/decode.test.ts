import { describe, expect, it } from 'vitest';
import { decodeEvent } from './decode.js';
import type { KafkaSourceRef } from './source-ref.js';

const fields = { stream: 'stream', timestamp: 'ts', value: 'value', values: 'values' };
const ref = (value: string | null, key: string | null = null): KafkaSourceRef => ({
  topic: 't',
  partition: 0,
  offset: '7',
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: 1_700_000_000_000,
});
const reason = (d: ReturnType<typeof decodeEvent>) => ('rejected' in d ? d.rejected.reason : 'ok');

describe('decodeEvent', () => {
  it('decodes an ISO timestamp and a single value', () => {
    const d = decodeEvent(ref('{"stream":"fw-01","ts":"2026-11-22T10:00:00Z","value":7009.73}'), fields, 5);
    expect(d).toMatchObject({ stream: 'fw-01', ts: Date.parse('2026-11-22T10:00:00Z'), values: [7009.73], receivedAt: 5 });
  });

  it('takes epoch ms, multivariate values, and the key when the stream field is absent', () => {
    const d = decodeEvent(ref('{"ts":1700000000123,"values":[1,2.5]}', 'proxy-2'), fields);
    expect(d).toMatchObject({ stream: 'proxy-2', ts: 1700000000123, values: [1, 2.5] });
  });

  it('falls back to the broker timestamp when the event has none', () => {
    expect(decodeEvent(ref('{"stream":"a","value":1}'), fields)).toMatchObject({ ts: 1_700_000_000_000 });
  });

  it('honours configured field names', () => {
    const d = decodeEvent(ref('{"host":"a","time":5,"eps":3}'), { stream: 'host', timestamp: 'time', value: 'eps', values: 'vs' });
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
  ])('rejects %s as %s, keeping the source', (text, expected) => {
    const d = decodeEvent(ref(text), fields);
    expect(reason(d)).toBe(expected);
    if ('rejected' in d) expect(d.rejected.source?.offset).toBe('7');
  });

  it('rejects a null message body', () => {
    expect(reason(decodeEvent(ref(null), fields))).toBe('invalid_json');
  });
});
