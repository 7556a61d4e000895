import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { alertRules, panelExprs, ruleOperand, rulesFile, substitute } from './support/dashboard.js';
import { cleanSegments } from './support/clean-segments.js';
import { HALF_HOUR, T0 } from './support/eps.js';
import { testKafka, uniqueName } from './support/kafka.js';

/**
 * A real Prometheus scrapes a real daemon that consumes real events from the broker: every
 * dashboard panel and every alert rule must see data, and the stream-anomalous rule must fire
 * for the stream with an injected spike.
 */
describe('Prometheus scraping a live daemon', () => {
  const STREAMS = 8;
  const SPIKED = 't-00';
  let daemon: DaemonProcess;
  let prometheus: ChildProcess;
  let promUrl: string;
  let promLog = '';
  const input = uniqueName('prom-input');

  beforeAll(async () => {
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 2 }] });
    await admin.disconnect();

    daemon = new DaemonProcess(
      writeTestConfig({
        brokers: process.env.KAFKA_BROKERS!,
        input,
        alerts: uniqueName('prom-alerts'),
        deadLetter: uniqueName('prom-dlq'),
        groupId: uniqueName('prom-group'),
      }),
    );
    const { metricsUrl } = await daemon.ready();
    const target = new URL(metricsUrl).host;

    const dir = mkdtempSync(join(tmpdir(), 'anomalyd-prom-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ["${rulesFile}"]
scrape_configs:
  - job_name: anomalyd
    static_configs: [{ targets: ["${target}"] }]
`,
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prometheus.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
    prometheus.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
    for (let i = 0; !(await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false)); i++) {
      if (prometheus.exitCode !== null || i > 600) throw new Error(`prometheus did not become ready:\n${promLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // 40 rows per stream from stretches the model scores as normal; t-00's last row is a spike and
    // t-00 then goes quiet, so it stays anomalous. A few malformed events feed the dead-letter panels.
    const { values, offsets } = await cleanSegments('timeseries2.csv', 40);
    const event = (i: number, row: number) => {
      const v = values[offsets[(i * 9) % offsets.length] + row];
      // Past data: the message timestamp is the event's, as input.maxTimestampSkewMs expects of a replay.
      return { key: `t-0${i}`, value: JSON.stringify({ stream: `t-0${i}`, ts: T0 + row * HALF_HOUR, value: i === 0 && row === 39 ? v * 3 : v }), timestamp: String(T0 + row * HALF_HOUR) };
    };
    const producer = kafka.producer();
    await producer.connect();
    for (let row = 0; row < 40; row++) {
      const messages = Array.from({ length: STREAMS }, (_, i) => event(i, row));
      if (row % 10 === 0) messages.push({ key: 't-01', value: '{"stream":"t-01","value":"oops"}', timestamp: String(T0) });
      await producer.send({ topic: input, messages });
    }
    await producer.disconnect();
  });

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    if (daemon) expect(await daemon.stop()).toBe(0);
  });

  async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  }

  /** Polls until the expression returns data (rates need two scrapes); gives up after ~60 s. */
  async function queryUntilData(expr: string) {
    for (let i = 0; i < 240; i++) {
      const result = await query(expr);
      if (result.length > 0) return result;
      await new Promise((r) => setTimeout(r, 250));
    }
    return [];
  }

  it.each(panelExprs.map((e) => [e.panel, e.expr]))('panel %s: %s returns data', async (_panel, expr) => {
    const result = await queryUntilData(substitute(expr));
    expect(result.length, `${substitute(expr)}\n${promLog.slice(-1500)}`).toBeGreaterThan(0);
  });

  it.each(alertRules.map((r) => [r.alert, ruleOperand(r.expr)]))('rule %s watches series that exist: %s', async (_rule, expr) => {
    expect((await queryUntilData(expr)).length, expr).toBeGreaterThan(0);
  });

  it('the stream variable lists the streams the daemon saw', async () => {
    const url = `${promUrl}/api/v1/label/stream/values?match[]=anomalyd_stream_anomaly_score`;
    let streams: string[] = [];
    for (let i = 0; i < 240 && streams.length < STREAMS; i++) {
      streams = ((await (await fetch(url)).json()) as { data: string[] }).data;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(streams.sort()).toEqual(Array.from({ length: STREAMS }, (_, i) => `t-0${i}`));
  });

  it('AnomalydStreamAnomalous fires for the spiked stream and no other', async () => {
    let firing: { labels: Record<string, string>; state: string }[] = [];
    for (let i = 0; i < 240; i++) {
      const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      firing = body.data.alerts.filter((a) => a.labels.alertname === 'AnomalydStreamAnomalous' && a.state === 'firing');
      if (firing.length > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(firing.map((a) => a.labels.stream)).toEqual([SPIKED]);
    const anomalousNow = await query('anomalyd_stream_anomalous == 1');
    expect(anomalousNow.map((r) => r.metric.stream)).toEqual([SPIKED]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
