import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { findSamples, parseExposition } from '../src/metrics/exposition.js';
import { FAULT_ENV } from '../src/model/scoring-worker/protocol.js';
import type { Alert } from '../src/pipeline/types.js';
import { cleanSegments } from './support/clean-segments.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { HALF_HOUR, T0 } from './support/eps.js';
import { readAll, runNames, testKafka, waitForCommitted } from './support/kafka.js';

const STREAMS = 12;
const SPIKY = 4;
const ROWS = 40;
const SPIKE_ROW = 25;

const { values, offsets } = await cleanSegments('timeseries3.csv', ROWS);
const streamId = (i: number) => `f-${String(i).padStart(2, '0')}`;
const value = (i: number, row: number) => {
  const v = values[offsets[(i * 5) % offsets.length] + row];
  return i < SPIKY && row === SPIKE_ROW ? v * 2.5 : v;
};

/**
 * One input topic per run, all with the same events: every run must publish the same alerts.
 * With `daemon`, the rows after the first wait until it prepared its partitions (a partition is
 * prepared at its first batch), so they arrive one by one, as many batches, as the faults expect.
 */
async function produceInput(kafka: Kafka, topic: string, daemon?: DaemonProcess): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let row = 0; row < ROWS; row++) {
    if (row === 1 && daemon !== undefined) await daemon.waitForLog((l) => l.msg === 'partitions ready: producers fenced in, state restored', 'the partitions prepared');
    const ts = T0 + row * HALF_HOUR;
    await producer.send({
      topic,
      messages: Array.from({ length: STREAMS }, (_, i) => ({
        key: streamId(i),
        value: JSON.stringify({ stream: streamId(i), ts, value: value(i, row) }),
        timestamp: String(ts),
      })),
    });
  }
  await producer.disconnect();
}

const episodeKey = (a: Alert) => `${a.alertId} ${a.state} ${a.startIndex}/${a.peakIndex}/${a.endIndex}`;

async function readyz(url: string): Promise<{ status: number; body: { failing: string[]; reasons?: Record<string, string> } }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as { failing: string[]; reasons?: Record<string, string> } };
}

function run(name: string, sections?: Parameters<typeof writeTestConfig>[0]['sections']) {
  const names = runNames(name);
  return { ...names, config: writeTestConfig({ brokers: process.env.KAFKA_BROKERS!, ...names, match: 'f-*', sections, scoring: 'model-only' }) };
}

describe('faults around the daemon, on a real broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  const daemons: DaemonProcess[] = [];
  /** The alerts of the undisturbed run, which every fault run must reproduce. */
  let baseline: string[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    daemons.forEach((d) => d.kill());
    await admin?.disconnect();
  });

  const start = (config: string, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []) => {
    const d = new DaemonProcess(config, env, nodeArgs);
    daemons.push(d);
    return d;
  };

  it('started before its input topic exists: waits, reports why on /readyz, creates nothing, consumes once the topic appears', async () => {
    const r = run('order');
    const daemon = start(r.config);
    const served = await daemon.waitForLog((l) => l.msg === 'serving metrics', 'the metrics server');
    const url = String(served.url).replace(/\/metrics$/, '');
    await daemon.waitForLog((l) => l.msg === 'waiting for the input topics to be created', 'the wait to be logged');
    const waiting = await readyz(url);
    expect(waiting.status).toBe(503);
    expect(waiting.body.failing).toContain('inputTopicsExist');
    expect(waiting.body.reasons?.inputTopicsExist).toContain(r.input);
    // Still there a few seconds on, and the topic was not auto-created by the daemon.
    await new Promise((res) => setTimeout(res, 3000));
    expect(daemon.logs.some((l) => l.msg === 'stopped')).toBe(false);
    expect(await admin.listTopics()).not.toContain(r.input);

    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: r.input, numPartitions: 3 }] });
    await daemon.waitForLog((l) => l.msg === 'joined the consumer group', 'joining once the topic exists');
    await produceInput(kafka, r.input);
    await waitForCommitted(admin, r.groupId, r.input);
    expect((await readyz(url)).status).toBe(200);
    const published = (await readAll(kafka, r.alerts)).map((m) => JSON.parse(m.value!.toString()) as Alert);
    expect(new Set(published.filter((a) => a.state === 'open').map((a) => a.stream))).toEqual(new Set(Array.from({ length: SPIKY }, (_, i) => streamId(i))));
    baseline = published.map(episodeKey).sort();
    expect(await daemon.stop()).toBe(0);
  });

  it('a scoring worker that crashes mid-run is restarted and its batch scored again: the same alerts, all committed', async () => {
    expect(baseline.length).toBeGreaterThan(0);
    const r = run('crash');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: r.input, numPartitions: 3 }] });
    const daemon = start(r.config, { [FAULT_ENV]: 'crash@3' });
    const { metricsUrl } = await daemon.ready();
    await produceInput(kafka, r.input, daemon);
    await waitForCommitted(admin, r.groupId, r.input);
    const published = (await readAll(kafka, r.alerts)).map((m) => JSON.parse(m.value!.toString()) as Alert);
    expect(published.map(episodeKey).sort()).toEqual(baseline);
    expect(daemon.logs.some((l) => l.msg === 'scoring worker lost; restarting it' && l.cause === 'crash')).toBe(true);
    const samples = parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text());
    expect(findSamples(samples, 'anomalyd_scoring_worker_restarts_total', { cause: 'crash' })[0]?.value).toBe(1);
    expect(findSamples(samples, 'anomalyd_events_total').reduce((s, x) => s + x.value, 0)).toBe(STREAMS * ROWS);
    expect(await daemon.stop()).toBe(0);
  });

  it('a hung scoring worker times out and is restarted, /readyz fails meanwhile, and nothing is lost', async () => {
    const r = run('hang', { inference: 'timeoutMs: 3000' });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: r.input, numPartitions: 3 }] });
    const daemon = start(r.config, { [FAULT_ENV]: 'hang@3' });
    const { metricsUrl } = await daemon.ready();
    const seen: { status: number; failing: string[]; reason?: string }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const { status, body } = await readyz(metricsUrl);
        seen.push({ status, failing: body.failing, reason: body.reasons?.scoringHealthy });
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    await produceInput(kafka, r.input, daemon);
    await waitForCommitted(admin, r.groupId, r.input);
    polling = false;
    await poller;
    const published = (await readAll(kafka, r.alerts)).map((m) => JSON.parse(m.value!.toString()) as Alert);
    expect(published.map(episodeKey).sort()).toEqual(baseline);
    expect(daemon.logs.some((l) => l.msg === 'scoring worker lost; restarting it' && l.cause === 'timeout')).toBe(true);
    const unready = seen.filter((s) => s.status === 503);
    expect(unready.length).toBeGreaterThan(0);
    expect(unready[0].failing).toEqual(['scoringHealthy']);
    expect(unready[0].reason).toMatch(/eps-gru.*restarted/);
    expect(seen.at(-1)!.status).toBe(200);
    const samples = parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text());
    expect(findSamples(samples, 'anomalyd_scoring_worker_restarts_total', { cause: 'timeout' })[0]?.value).toBe(1);
    expect(await daemon.stop()).toBe(0);
  });

  it('a batch that kills every scoring worker stops the daemon with exit code 1, nothing of it committed', async () => {
    const r = run('poison', { inference: 'maxRetries: 1' });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: r.input, numPartitions: 1 }] });
    const daemon = start(r.config, { [FAULT_ENV]: 'crash@2:always' });
    await daemon.ready();
    await produceInput(kafka, r.input, daemon);
    expect(await daemon.exited, daemon.tail(30)).toBe(1);
    expect(daemon.logs.some((l) => l.msg === 'pipeline failed')).toBe(true);
    const [committed] = await admin.fetchOffsets({ groupId: r.groupId, topics: [r.input] });
    const [end] = await admin.fetchTopicOffsets(r.input);
    expect(BigInt(committed.partitions[0].offset)).toBeLessThan(BigInt(end.high));
  });

  it.each([
    ['an unhandled promise rejection', 'setTimeout(() => Promise.reject(new Error("injected rejection")), 3000);', 'unhandled promise rejection; exiting'],
    ['an uncaught exception', 'setTimeout(() => { throw new Error("injected exception"); }, 3000);', 'uncaught exception; exiting'],
  ])('%s inside the daemon process is logged and exits 1', async (_what, code, message) => {
    const r = run('crashproc');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: r.input, numPartitions: 1 }] });
    const daemon = start(r.config, {}, ['--import', `data:text/javascript,${encodeURIComponent(code)}`]);
    expect(await daemon.exited).toBe(1);
    const line = daemon.logs.find((l) => l.msg === message);
    expect(line, daemon.tail()).toBeDefined();
    expect(JSON.stringify(line)).toMatch(/injected/);
  });
});
