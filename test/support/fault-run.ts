import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { HALF_HOUR, T0, readEps } from './eps.js';
import { readAll } from './kafka.js';

/**
 * The input of the fault runs: `sources` EPS streams × `rows` events from the reference weeks,
 * every stream on its own stretch, with injected spikes; every `badEvery`-th row brings a
 * malformed event and an event older than its stream's last (out of order: what gets
 * dead-lettered then depends on the stream's restored state).
 */
export function faultInput(sources: number, rows: number, badEvery: number): { key: string | null; value: string; timestamp: string }[][] {
  const files = ['timeseries1.csv', 'timeseries2.csv', 'timeseries3.csv', 'timeseries4.csv'].map(readEps);
  const stream = (i: number) => `src-${String(i).padStart(3, '0')}`;
  const value = (i: number, row: number) => {
    const f = files[i % files.length];
    const v = f[((i * 13) % (f.length - rows)) + row];
    // A third of the sources get a spike (×3) somewhere in the middle, lasting 1–3 rows.
    const at = Math.floor(rows / 4) + ((i * 7) % Math.floor(rows / 2));
    return i % 3 === 0 && row >= at && row < at + 1 + (i % 3) ? v * 3 : v;
  };
  const out: { key: string | null; value: string; timestamp: string }[][] = [];
  for (let row = 0; row < rows; row++) {
    // The broker timestamp is the event time: the daemon refuses events dated far from it (input.maxTimestampSkewMs).
    const timestamp = String(T0 + row * HALF_HOUR);
    const messages: { key: string | null; value: string; timestamp: string }[] = [];
    for (let i = 0; i < sources; i++) messages.push({ key: stream(i), timestamp, value: JSON.stringify({ stream: stream(i), ts: new Date(T0 + row * HALF_HOUR).toISOString(), value: value(i, row) }) });
    if (row > 0 && row % badEvery === 0) {
      const i = row % sources;
      messages.push({ key: stream(i), timestamp, value: `{"stream":"${stream(i)}","ts":` });
      messages.push({ key: stream(i), timestamp, value: JSON.stringify({ stream: stream(i), ts: new Date(T0 + (row - 3) * HALF_HOUR).toISOString(), value: 1 }) });
      messages.push({ key: stream(i), timestamp, value: JSON.stringify({ stream: stream(i), ts: 'not-a-time', value: 1 }) });
    }
    out.push(messages);
  }
  return out;
}

/** The group's committed share of the topic, 0…1. */
export async function committedShare(admin: Admin, groupId: string, topic: string, total: number): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const done = committed.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  return done / total;
}

/** Waits until the group committed `share` of the topic's `total` messages; resolves with the share it found. */
export async function waitForShare(admin: Admin, groupId: string, topic: string, total: number, share: number, timeoutMs = 180_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A restarted member's group coordinator, or a broker just back, may not answer yet.
    const s = await committedShare(admin, groupId, topic, total).catch(() => -1);
    if (s >= share) return s;
    if (Date.now() > deadline) throw new Error(`group ${groupId} stuck at ${(s * 100).toFixed(1)} % of ${topic} (waiting for ${share * 100} %)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * How far a fractional number in a message (a score, an expected value, a reconstruction) may be
 * from the uninterrupted run's, relative to the larger. A rebalance changes which streams share a
 * scoring batch, and on CPUs whose TensorFlow kernels take a different path for a different batch
 * shape the same window's float32 outputs can differ in the last place; a score built from them
 * then differs from the fifth significant digit on (0.0351289605 against 0.0351293437 was seen).
 * Everything else in a message (stream, times, states, counts, ids) and every header must match exactly.
 */
export const FRACTION_TOLERANCE = 1e-4;

/** A message's value with every fractional number taken out (kept in order by `fractions`). */
function shapeOf(value: unknown, fractions: number[]): unknown {
  if (typeof value === 'number' && !Number.isInteger(value)) {
    fractions.push(value);
    return '<fraction>';
  }
  if (Array.isArray(value)) return value.map((v) => shapeOf(v, fractions));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v, fractions)]));
  return value;
}

interface Compared {
  /** Key, value without its fractional numbers, and headers: what must match exactly. */
  identity: string;
  fractions: number[];
}

/** A message as compared between runs: key, value and headers, nothing else (offsets and timestamps differ). */
function compared(m: KafkaMessage): Compared {
  const headers = Object.entries(m.headers ?? {})
    .map(([k, v]) => [k, String(v)])
    .sort(([a], [b]) => a.localeCompare(b));
  const fractions: number[] = [];
  const text = m.value?.toString() ?? null;
  let value: unknown = text;
  try {
    if (text !== null) value = { json: shapeOf(JSON.parse(text), fractions) };
  } catch {
    // Not JSON: compared as text.
  }
  return { identity: JSON.stringify([m.key?.toString() ?? null, value, headers]), fractions };
}

const relativeDifference = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

export interface TopicComparison {
  expected: number;
  got: number;
  missing: number;
  duplicated: number;
  spurious: number;
  /** Keys (streams) whose message sequence differs from the uninterrupted run's. */
  reordered: string[];
  /** The largest relative difference of a fractional number between messages paired up by key and position. */
  largestFractionDifference: number;
}

/**
 * Compares two topics read committed, message for message: missing = in the reference but not
 * (as often) in the other, duplicated = more copies than the reference has, spurious = never in
 * the reference. Per key (stream), the order must be the same too, and the fractional numbers of
 * messages paired up by position must agree within FRACTION_TOLERANCE (a key that differs by more
 * counts as reordered).
 */
export async function compareTopics(kafka: Kafka, reference: string, other: string): Promise<TopicComparison> {
  const [a, b] = await Promise.all([readAll(kafka, reference), readAll(kafka, other)]);
  return compareMessages(a, b);
}

/** compareTopics on messages already read: `a` the reference's, `b` the other's. */
export function compareMessages(a: KafkaMessage[], b: KafkaMessage[]): TopicComparison {
  const count = (ms: Compared[]) => {
    const c = new Map<string, number>();
    for (const m of ms) c.set(m.identity, (c.get(m.identity) ?? 0) + 1);
    return c;
  };
  const ra = a.map(compared);
  const rb = b.map(compared);
  const ca = count(ra);
  const cb = count(rb);
  let missing = 0;
  let duplicated = 0;
  let spurious = 0;
  for (const [k, n] of ca) missing += Math.max(0, n - (cb.get(k) ?? 0));
  for (const [k, n] of cb) {
    const ref = ca.get(k);
    if (ref === undefined) spurious += n;
    else duplicated += Math.max(0, n - ref);
  }
  const byKey = (ms: KafkaMessage[], rs: Compared[]) => {
    const g = new Map<string, Compared[]>();
    ms.forEach((m, i) => {
      const key = m.key?.toString() ?? '';
      g.set(key, [...(g.get(key) ?? []), rs[i]!]);
    });
    return g;
  };
  const ka = byKey(a, ra);
  const kb = byKey(b, rb);
  let largestFractionDifference = 0;
  const sameSequence = (x: Compared[], y: Compared[]) => {
    if (x.length !== y.length) return false;
    let within = true;
    x.forEach((m, i) => {
      const n = y[i]!;
      if (m.identity !== n.identity || m.fractions.length !== n.fractions.length) within = false;
      else
        m.fractions.forEach((f, j) => {
          const d = relativeDifference(f, n.fractions[j]!);
          largestFractionDifference = Math.max(largestFractionDifference, d);
          if (d > FRACTION_TOLERANCE) within = false;
        });
    });
    return within;
  };
  const reordered = [...new Set([...ka.keys(), ...kb.keys()])].filter((k) => !sameSequence(ka.get(k) ?? [], kb.get(k) ?? []));
  return { expected: a.length, got: b.length, missing, duplicated, spurious, reordered, largestFractionDifference };
}
