import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { alertRules, annotationExprs, dashboard, panelExprs, ruleOperands, rulesFile, substitute } from './support/dashboard.js';
import { cleanSegments } from './support/clean-segments.js';
import { HALF_HOUR, T0 } from './support/eps.js';
import { testKafka, uniqueName } from './support/kafka.js';
import { startPrometheus, type TestPrometheus } from './support/prometheus.js';
import { requireTool } from './support/tools.js';

/**
 * Dashboard expressions that may rightly be empty after this test's 40 events per stream, each
 * with the reason and a query that must then be empty too, so the reason is checked, not assumed.
 */
const MAY_BE_EMPTY = [
  {
    uses: 'anomalyd_stream_expected_value',
    why: 'no stream has learned a seasonal profile from 40 half-hours yet',
    emptyOnlyIf: 'anomalyd_stream_expected_value',
  },
  {
    uses: 'kind="silence"',
    why: 'no source had a silence episode',
    emptyOnlyIf: 'anomalyd_alert_episodes_total{kind="silence"} > 0',
  },
];
const mayBeEmpty = (expr: string) => MAY_BE_EMPTY.find((m) => expr.includes(m.uses));

/**
 * A real Prometheus scrapes a real daemon that consumes real events from the broker: every
 * dashboard panel, annotation and alert rule must see data, the stream-anomalous rule must fire
 * for the stream with an injected spike, and every source, its events days old, must be silent.
 */
describe('Prometheus scraping a live daemon', () => {
  const STREAMS = 8;
  const ROWS = 40;
  const MALFORMED = 4;
  const SPIKED = 't-00';
  const startedSec = Date.now() / 1000;
  let daemon: DaemonProcess;
  let prometheus: TestPrometheus | undefined;
  let promUrl: string;
  let metricsUrl: string;
  const input = uniqueName('prom-input');

  beforeAll(async () => {
    requireTool('prometheus', ['--version'], 'the Debian package prometheus');
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 2 }] });
    await admin.disconnect();

    daemon = new DaemonProcess(
      writeTestConfig({ scoring: 'model-only',
        brokers: process.env.KAFKA_BROKERS!,
        input,
        alerts: uniqueName('prom-alerts'),
        deadLetter: uniqueName('prom-dlq'),
        groupId: uniqueName('prom-group'),
      }),
    );
    ({ metricsUrl } = await daemon.ready());
    const target = new URL(metricsUrl).host;

    const dir = mkdtempSync(join(tmpdir(), 'anomalyd-prom-'));
    prometheus = await startPrometheus(dir, `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ["${rulesFile}"]
scrape_configs:
  - job_name: anomalyd
    static_configs: [{ targets: ["${target}"] }]
`);
    promUrl = prometheus.url;

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
    for (let row = 0; row < ROWS; row++) {
      const messages = Array.from({ length: STREAMS }, (_, i) => event(i, row));
      if (row % 10 === 0) messages.push({ key: 't-01', value: '{"stream":"t-01","value":"oops"}', timestamp: String(T0) });
      await producer.send({ topic: input, messages });
    }
    await producer.disconnect();
  });

  afterAll(async () => {
    prometheus?.stop();
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

  async function queryRange(expr: string): Promise<{ metric: Record<string, string>; values: [number, string][] }[]> {
    const params = new URLSearchParams({ query: expr, start: String(startedSec), end: String(Date.now() / 1000), step: '1' });
    const body = (await (await fetch(`${promUrl}/api/v1/query_range?${params}`)).json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
    };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  }

  /** Until Prometheus has scraped the metrics of every event the test sent. */
  async function allEventsScraped(): Promise<void> {
    const sent = STREAMS * ROWS + MALFORMED;
    for (let i = 0; i < 240; i++) {
      const [total] = await query('sum(anomalyd_events_total)');
      if (total !== undefined && Number(total.value[1]) >= sent) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`Prometheus never saw all ${sent} events\n${prometheus!.log().slice(-1500)}`);
  }

  const required = panelExprs.filter((e) => mayBeEmpty(e.expr) === undefined);
  it.each(required.map((e) => [e.panel, e.expr]))('panel %s: %s returns data', async (_panel, expr) => {
    const result = await queryUntilData(substitute(expr));
    expect(result.length, `${substitute(expr)}\n${prometheus!.log().slice(-1500)}`).toBeGreaterThan(0);
  });

  // Grafana runs annotation queries over the dashboard's time range: so does this test.
  const annotations = annotationExprs.map((a) => ({ panel: `annotation ${a.annotation}`, expr: a.expr }));
  it.each(annotations.filter((a) => mayBeEmpty(a.expr) === undefined).map((a) => [a.panel, a.expr]))('%s: %s returns data', async (_name, expr) => {
    let result: unknown[] = [];
    for (let i = 0; i < 240 && result.length === 0; i++) {
      result = await queryRange(substitute(expr));
      if (result.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(result.length, substitute(expr)).toBeGreaterThan(0);
  });

  const optional = [...panelExprs, ...annotations].filter((e) => mayBeEmpty(e.expr) !== undefined);
  it.each(optional.map((e) => [e.panel, e.expr, mayBeEmpty(e.expr)!.why, mayBeEmpty(e.expr)!]))('%s: %s returns data unless %s', async (name, expr, _why, reason) => {
    await allEventsScraped();
    const found = name.startsWith('annotation ') ? await queryRange(substitute(expr)) : await query(substitute(expr));
    if (found.length === 0) expect(await query(reason.emptyOnlyIf), `${expr} is empty, yet not because ${reason.why}`).toEqual([]);
  });

  it.each(alertRules.flatMap((r) => ruleOperands(r.expr).map((operand) => [r.alert, operand])))('rule %s watches series that exist: %s', async (_rule, expr) => {
    expect((await queryUntilData(expr)).length, expr).toBeGreaterThan(0);
  });

  /** A `label_values(selector, label)` variable, asked the way Grafana asks Prometheus for it. */
  async function variableValues(name: string, until: (values: string[]) => boolean): Promise<string[]> {
    const query = dashboard.templating.list.find((v) => v.name === name)?.query;
    const m = /^label_values\((.+), (\w+)\)$/.exec(typeof query === 'string' ? query : (query?.query ?? ''));
    if (!m) throw new Error(`variable ${name} is not a label_values query: ${JSON.stringify(query)}`);
    const url = `${promUrl}/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(substitute(m[1]))}`;
    let values: string[] = [];
    for (let i = 0; i < 240 && !until(values); i++) {
      values = ((await (await fetch(url)).json()) as { data: string[] }).data;
      await new Promise((r) => setTimeout(r, 250));
    }
    return values.sort();
  }

  it('the job, instance and stream variables list the job, the daemon and the streams it saw', async () => {
    expect(await variableValues('job', (v) => v.length > 0)).toEqual(['anomalyd']);
    expect(await variableValues('instance', (v) => v.length > 0)).toEqual([new URL(metricsUrl).host]);
    const streams = await variableValues('stream', (v) => v.length >= STREAMS);
    expect(streams).toEqual(Array.from({ length: STREAMS }, (_, i) => `t-0${i}`));
  });

  it('the silent-sources table lists every source, and AnomalydSourceSilent is pending for each', async () => {
    // Every stream's newest event is from T0's day, hours (many cadences) before the wall clock.
    expect(Date.now(), 'this test needs a wall clock well past its events').toBeGreaterThan(T0 + (ROWS + 3) * HALF_HOUR);
    const table = panelExprs.find((e) => e.panel === 'Silent sources')!;
    let silent: string[] = [];
    for (let i = 0; i < 240 && silent.length < STREAMS; i++) {
      silent = (await query(substitute(table.expr))).map((r) => r.metric.stream).sort();
      if (silent.length < STREAMS) await new Promise((r) => setTimeout(r, 250));
    }
    expect(silent).toEqual(Array.from({ length: STREAMS }, (_, i) => `t-0${i}`));
    const silentFor = await query(substitute(table.expr));
    for (const r of silentFor) expect(Number(r.value[1])).toBeGreaterThan((Date.now() - (T0 + ROWS * HALF_HOUR)) / 1000 - 60);

    let pending: string[] = [];
    for (let i = 0; i < 240 && pending.length < STREAMS; i++) {
      const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      pending = body.data.alerts.filter((a) => a.labels.alertname === 'AnomalydSourceSilent').map((a) => a.labels.stream).sort();
      if (pending.length < STREAMS) await new Promise((r) => setTimeout(r, 250));
    }
    expect(pending).toEqual(silent);
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
