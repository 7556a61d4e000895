import { describe, expect, it } from 'vitest';
import { decodeEvent } from '../kafka/decode.js';
import { decodeEventBytes } from './decode-event.js';

const fields = { stream: 'stream', timestamp: 'ts', value: 'value', values: 'values' };

describe('decodeEventBytes', () => {
  it('decodes a line of an events file as the daemon decodes the same bytes from its topic', () => {
    const lines = [
      '{"stream":"src-017","ts":"2026-01-12T09:30:00Z","value":1234.5}',
      '{"stream":"a","ts":1700000000123,"values":[1,2.5]}',
      '{"stream":"a","ts":"2026-01-12T09:30:00Z","value":"12"}',
      '{"stream":"a","ts":"yesterday","value":1}',
      'not json',
    ];
    for (const line of lines) {
      const kafka = decodeEvent({ topic: 't', partition: 0, offset: '0', key: null, value: Buffer.from(line), timestamp: 5 }, { fields, maxTimestampSkewMs: 0 }, 0);
      const file = decodeEventBytes(line, fields);
      if ('rejected' in kafka) expect(file).toEqual({ reason: kafka.rejected.reason, detail: kafka.rejected.detail, stream: kafka.rejected.stream });
      else expect(file).toEqual({ stream: kafka.stream, ts: kafka.ts, values: kafka.values });
    }
  });

  it('needs the stream and the timestamp in the event when the transport has neither (a file)', () => {
    expect(decodeEventBytes('{"stream":"a","value":1}', fields)).toEqual({ reason: 'missing_field', detail: 'no "ts" field', stream: 'a' });
    expect(decodeEventBytes('{"ts":5,"value":1}', fields)).toEqual({ reason: 'missing_field', detail: 'no "stream" field' });
    expect(decodeEventBytes('{"ts":5,"value":1}', fields, { key: null })).toEqual({ reason: 'missing_field', detail: 'no "stream" field and no message key' });
    expect(decodeEventBytes('{"value":1}', fields, { key: 'k', timestamp: 9 })).toEqual({ stream: 'k', ts: 9, values: [1] });
  });
});
