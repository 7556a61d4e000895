import { seededRandom } from '../../src/model/windows.js';

export interface FuzzMessage {
  key: string | null;
  value: Buffer;
  /** Message timestamp (epoch ms) to produce with; absent: the producer's clock. */
  timestamp?: number;
  /** Which generator made it, for failure messages. */
  kind: string;
}

/**
 * `n` hostile payloads from a seeded generator (the project's mulberry32), none of which may become
 * an event: random bytes, deep nesting, oversized or empty ids, timestamps that are not real or not
 * near the broker's, values that are not finite float32 numbers, wrong shapes. Valid-looking events
 * name streams outside `goodPrefix`, so no stream rule takes them either.
 */
export function hostilePayloads(n: number, seed: number, goodPrefix: string): FuzzMessage[] {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  const badStream = () => `x-${int(0, 5000)}`;
  const json = (o: unknown) => Buffer.from(JSON.stringify(o));
  const now = Date.now();
  const weirdTimestamps: unknown[] = [
    '1', 'bad-45', '2024-02-30T00:00:00Z', '2023-02-29T12:00:00Z', '2026-11-22T24:00:00Z', '2026-11-22T10:00:00', '2026-11-22',
    '+275760-09-13T00:00:00Z', 'yesterday', '', ' ', 1e16, 8.64e15 + 1, -1, 1.5, Number.MAX_SAFE_INTEGER, true, null, [], {},
    new Date(now + 30 * 86_400_000).toISOString(), now - 40 * 86_400_000,
  ];
  const weirdValues: unknown[] = ['NaN', 'Infinity', null, '1e999', '12', true, {}, [], [1, 2], 1e39, -3.5e38, Number.MAX_VALUE, { value: 1 }];
  const generators: [string, () => FuzzMessage][] = [
    ['random bytes', () => ({ key: null, value: Buffer.from(Array.from({ length: int(0, 300) }, () => int(0, 255))), kind: 'random bytes' })],
    ['random text', () => ({ key: null, value: Buffer.from(Array.from({ length: int(1, 200) }, () => String.fromCharCode(int(32, 0x2fff))).join('')), kind: 'random text' })],
    ['json scalar', () => ({ key: null, value: Buffer.from(pick(['1', '"s"', 'null', 'true', '[1,2]', '[]', '{}', '{"stream":{}}'])), kind: 'json scalar' })],
    ['deep nesting', () => {
      const depth = int(1000, random() < 0.01 ? 100_000 : 3000);
      const where = pick(['value', 'values', 'ts', 'stream']);
      const nested = where === 'stream' || where === 'ts' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const fields = { stream: `"${badStream()}"`, value: '1', [where]: nested };
      return { key: null, value: Buffer.from(`{${Object.entries(fields).map(([k, v]) => `"${k}":${v}`).join(',')}}`), kind: `deep ${where}` };
    }],
    ['huge id', () => {
      const stream = pick(['x', 'é', '🙂', '\u0000']).repeat(int(257, random() < 0.02 ? 20_000 : 1000));
      return { key: random() < 0.5 ? stream : null, value: json(random() < 0.5 ? { stream, value: 1 } : { value: 1 }), kind: 'huge id' };
    }],
    ['empty id', () => ({ key: null, value: json({ stream: pick(['', 7, null, [], {}]), value: 1 }), kind: 'empty id' })],
    ['weird timestamp', () => ({ key: null, value: json({ stream: random() < 0.5 ? `${goodPrefix}0` : badStream(), ts: pick(weirdTimestamps), value: 1 }), kind: 'weird timestamp' })],
    ['weird value', () => {
      const v = pick(weirdValues);
      const body: Record<string, unknown> = { stream: random() < 0.5 ? `${goodPrefix}1` : badStream() };
      if (random() < 0.5) body.value = v;
      else body.values = Array.isArray(v) ? v : [1, v];
      // JSON has no NaN: write the bare token so the parser is the one to refuse it.
      const text = JSON.stringify(body).replace('"NaN"', random() < 0.3 ? 'NaN' : '"NaN"');
      return { key: null, value: Buffer.from(text), kind: 'weird value' };
    }],
    ['proto keys', () => ({ key: null, value: Buffer.from(`{"__proto__":{"stream":"${goodPrefix}2","value":1},"constructor":{"prototype":{}}}`), kind: 'proto keys' })],
    ['unrouted event', () => ({ key: null, value: json({ stream: badStream(), ts: new Date(now - int(0, 86_400_000)).toISOString(), value: random() * 1000 }), kind: 'unrouted event' })],
    ['missing value', () => ({ key: `${goodPrefix}3`, value: json({ stream: `${goodPrefix}3`, ts: now }), kind: 'missing value' })],
  ];
  return Array.from({ length: n }, () => pick(generators)[1]());
}
