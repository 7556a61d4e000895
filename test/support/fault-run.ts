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

/** A message as compared between runs: key, value and headers, nothing else (offsets and timestamps differ). */
function canonical(m: KafkaMessage): string {
  const headers = Object.entries(m.headers ?? {})
    .map(([k, v]) => [k, String(v)])
    .sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([m.key?.toString() ?? null, m.value?.toString() ?? null, headers]);
}

export interface TopicComparison {
  expected: number;
  got: number;
  missing: number;
  duplicated: number;
  spurious: number;
  /** Keys (streams) whose message sequence differs from the uninterrupted run's. */
  reordered: string[];
}

/**
 * Compares two topics read committed, message for message: missing = in the reference but not
 * (as often) in the other, duplicated = more copies than the reference has, spurious = never in
 * the reference. Per key (stream), the order must be the same too.
 */
export async function compareTopics(kafka: Kafka, reference: string, other: string): Promise<TopicComparison> {
  const [a, b] = await Promise.all([readAll(kafka, reference), readAll(kafka, other)]);
  const count = (ms: KafkaMessage[]) => {
    const c = new Map<string, number>();
    for (const m of ms) c.set(canonical(m), (c.get(canonical(m)) ?? 0) + 1);
    return c;
  };
  const ca = count(a);
  const cb = count(b);
  let missing = 0;
  let duplicated = 0;
  let spurious = 0;
  for (const [k, n] of ca) missing += Math.max(0, n - (cb.get(k) ?? 0));
  for (const [k, n] of cb) {
    const ref = ca.get(k);
    if (ref === undefined) spurious += n;
    else duplicated += Math.max(0, n - ref);
  }
  const byKey = (ms: KafkaMessage[]) => {
    const g = new Map<string, string[]>();
    for (const m of ms) {
      const key = m.key?.toString() ?? '';
      g.set(key, [...(g.get(key) ?? []), canonical(m)]);
    }
    return g;
  };
  const ka = byKey(a);
  const kb = byKey(b);
  const reordered = [...new Set([...ka.keys(), ...kb.keys()])].filter((k) => JSON.stringify(ka.get(k) ?? []) !== JSON.stringify(kb.get(k) ?? []));
  return { expected: a.length, got: b.length, missing, duplicated, spurious, reordered };
}
