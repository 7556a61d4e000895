import type { Admin, Kafka } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { findSamples, parseExposition } from '../src/metrics/exposition.js';
import { cleanSegments } from './support/clean-segments.js';
import { DaemonProcess, writeTestConfig, type LogLine } from './support/daemon-process.js';
import { HALF_HOUR, T0 } from './support/eps.js';
import { readAll, testKafka, uniqueName, waitForCommitted } from './support/kafka.js';

const STREAMS = 24;
const ROWS = 40;
const PARTITIONS = 4;
/** Streams whose value jumps ×8 at row 25: each raises an alert episode. */
const SPIKED = new Set([0, 5, 11, 17]);

async function waitForStableGroup(admin: Admin, groupId: string, members: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    if (groups[0]?.state === 'Stable' && groups[0].members.length === members) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId} not stable with ${members} members: ${JSON.stringify(groups[0]?.state)} ${groups[0]?.members.length}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One `anomalyd run --workers N` over its own copy of the same input; what it scored and raised. */
async function runWithWorkers(kafka: Kafka, admin: Admin, workers: number, values: number[], offsets: number[], started: DaemonProcess[]) {
  const input = uniqueName(`workers${workers}-input`);
  const alerts = uniqueName(`workers${workers}-alerts`);
  const groupId = uniqueName(`workers${workers}-group`);
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: PARTITIONS }, { topic: alerts, numPartitions: 1 }] });
  const config = writeTestConfig({ brokers: process.env.KAFKA_BROKERS!, input, alerts, deadLetter: uniqueName('workers-dlq'), groupId, scoring: 'model-only' });
  const daemon = new DaemonProcess(config, {}, [], ['--workers', String(workers)]);
  started.push(daemon);
  const member = (i: number) => (l: LogLine) => workers === 1 || l.worker === i;
  const urls: string[] = [];
  for (let i = 0; i < workers; i++) {
    const served = await daemon.waitForLog((l) => l.msg === 'serving metrics' && member(i)(l), `worker ${i}'s metrics server`);
    urls.push(String(served.url));
  }
  // Events go in once every member holds its share, so no rebalance moves a partition mid-run.
  await waitForStableGroup(admin, groupId, workers);
  const producer = kafka.producer();
  await producer.connect();
  for (let row = 0; row < ROWS; row++) {
    await producer.send({
      topic: input,
      messages: Array.from({ length: STREAMS }, (_, s) => {
        const base = values[offsets[s % offsets.length] + row];
        return { key: `w-${s}`, value: JSON.stringify({ stream: `w-${s}`, ts: T0 + row * HALF_HOUR, value: SPIKED.has(s) && row === 25 ? base * 8 : base }), timestamp: String(T0 + row * HALF_HOUR) };
      }),
    });
  }
  await producer.disconnect();
  await waitForCommitted(admin, groupId, input);

  const perMember: { events: number; partitions: number[] }[] = [];
  for (let i = 0; i < workers; i++) {
    const samples = parseExposition(await (await fetch(urls[i])).text());
    const events = findSamples(samples, 'anomalyd_events_total').reduce((sum, s) => sum + s.value, 0);
    const joined = daemon.logs.filter((l) => l.msg === 'joined the consumer group' && member(i)(l)).at(-1);
    perMember.push({ events, partitions: ((joined?.assignment as Record<string, number[]>)?.[input] ?? []).sort() });
  }
  const code = await daemon.stop();
  const raised = (await readAll(kafka, alerts)).map((m) => {
    const a = JSON.parse(m.value!.toString()) as Record<string, unknown>;
    return JSON.stringify([a.alertId, a.state, a.stream, a.score, a.startIndex, a.peakIndex, a.endIndex]);
  });
  return { code, perMember, alerts: raised.sort(), logs: daemon.logs };
}

describe('anomalyd run --workers', () => {
  const started: DaemonProcess[] = [];
  afterAll(() => started.forEach((d) => d.kill()));

  it('runs two members of one consumer group that split the partitions, score every event once, and raise the alerts of a one-worker run', async () => {
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    const { values, offsets } = await cleanSegments('timeseries2.csv', ROWS);

    const one = await runWithWorkers(kafka, admin, 1, values, offsets, started);
    const two = await runWithWorkers(kafka, admin, 2, values, offsets, started);
    await admin.disconnect();

    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.perMember[0].events).toBe(STREAMS * ROWS);
    // Both members joined and the group split the partitions between them, each partition once.
    expect(two.perMember.map((m) => m.partitions.length)).toEqual([2, 2]);
    expect([...two.perMember[0].partitions, ...two.perMember[1].partitions].sort()).toEqual([0, 1, 2, 3]);
    // Every event scored (or warmed up) exactly once across the members.
    expect(two.perMember.every((m) => m.events > 0)).toBe(true);
    expect(two.perMember[0].events + two.perMember[1].events).toBe(STREAMS * ROWS);
    // The same alert messages as the one-worker run.
    expect(one.alerts.length).toBeGreaterThanOrEqual(SPIKED.size);
    expect(two.alerts).toEqual(one.alerts);
    // Each member logged the backend it runs on, and the supervisor saw both stop cleanly.
    for (const w of [0, 1]) expect(two.logs.some((l) => l.worker === w && String(l.msg).startsWith('tensorflow.js backend:'))).toBe(true);
    expect(two.logs.filter((l) => l.msg === 'worker stopped' && l.code === 0)).toHaveLength(2);
  });

  it('stops the other members and exits 1 when a member dies', async () => {
    const input = uniqueName('workers-crash-input');
    const groupId = uniqueName('workers-crash-group');
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    const config = writeTestConfig({ brokers: process.env.KAFKA_BROKERS!, input, alerts: uniqueName('workers-crash-alerts'), deadLetter: uniqueName('workers-crash-dlq'), groupId, scoring: 'model-only' });
    const daemon = new DaemonProcess(config, {}, [], ['--workers', '2']);
    started.push(daemon);
    const pids: number[] = [];
    for (const w of [0, 1]) {
      const line = await daemon.waitForLog((l) => l.msg === 'worker started' && l.worker === w, `worker ${w} started`);
      pids.push(line.pid as number);
      await daemon.waitForLog((l) => l.msg === 'joined the consumer group' && l.worker === w, `worker ${w} joined`);
    }
    process.kill(pids[1], 'SIGKILL');
    expect(await daemon.exited).toBe(1);
    expect(daemon.logs.some((l) => l.msg.startsWith('worker exited unexpectedly') && l.worker === 1 && l.signal === 'SIGKILL')).toBe(true);
    expect(daemon.logs.some((l) => l.msg === 'worker stopped' && l.worker === 0)).toBe(true);
  });
});
