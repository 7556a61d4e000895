import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { anomalydAsync } from './support/cli.js';
import { repo, sharedDir } from './support/daemon-process.js';

// `anomalyd replay --config` over a small multi-source benchmark made by socbench.py (6 sources, 28 days,
// incidents included), through the shipped configuration and model.

const config = join(repo, 'config', 'anomalyd.yaml');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const SEQ_STEP = JSON.parse(readFileSync(join(repo, 'models', 'eps-gru', 'anomalyd.json'), 'utf8')).seqStep as number;

interface Event {
  stream: string;
  ts: string;
  value: number;
}
interface AlertMessage {
  alertId: string;
  state: string;
  kind?: string;
  stream: string;
  startTs: string | null;
  peakTs: string | null;
  endTs: string | null;
}

let dir: string;
let eventsFile: string;
let lines: string[];
let events: Event[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anomalyd-replay-events-'));
  const weeks = [1, 2, 3, 4].map((i) => join(sharedDir, 'data', 'eps', `timeseries${i}.csv`));
  const made = spawnSync('python3', [join(sharedDir, 'socbench', 'socbench.py'), 'make', '--weeks', ...weeks, '--seed', '5', '--streams', '6', '--out', dir], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  eventsFile = join(dir, 'events.ndjson');
  lines = readFileSync(eventsFile, 'utf8').trimEnd().split('\n');
  events = lines.map((l) => JSON.parse(l) as Event);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readAlerts = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AlertMessage);

describe('anomalyd replay --config', () => {
  it('replays every source in event time: alerts carry the events’ own times, scores one row per scored window', async () => {
    const alerts = join(dir, 'alerts.ndjson');
    const scores = join(dir, 'scores.csv');
    const r = await anomalydAsync(['replay', '--config', config, '--input', eventsFile, '--alerts', alerts, '--scores', scores]);
    expect(r.code, r.stderr).toBe(0);

    const times = new Map<string, Set<string>>();
    const values = new Map<string, number>();
    for (const e of events) {
      const iso = new Date(e.ts).toISOString();
      if (!times.has(e.stream)) times.set(e.stream, new Set());
      times.get(e.stream)!.add(iso);
      values.set(`${e.stream} ${iso}`, e.value);
    }

    const messages = readAlerts(alerts);
    expect(messages.filter((a) => a.state === 'open').length).toBeGreaterThan(0);
    const first = events[0].ts;
    const last = events.at(-1)!.ts;
    for (const a of messages) {
      const stamps = a.state === 'resolved' ? [a.startTs, a.peakTs, a.endTs] : [a.startTs, a.peakTs];
      if (a.state !== 'resolved') expect(a.endTs).toBeNull();
      stamps.forEach((t, k) => {
        expect(t).toMatch(ISO);
        expect(Date.parse(t!)).toBeGreaterThanOrEqual(Date.parse(first));
        expect(Date.parse(t!)).toBeLessThanOrEqual(Date.parse(last));
        // A silence starts at the first event that did not come and ends at the one that came back; every other
        // episode is dated by the events it is made of.
        const isEventTime = a.kind !== 'silence' || k === 2;
        expect(times.get(a.stream)!.has(t!), `${a.kind ?? ''} ${a.state} ${a.stream} ${t}`).toBe(isEventTime);
      });
    }

    const rows = readFileSync(scores, 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe('stream,ts,value,score,threshold,anomalous');
    // Every stream's first seqStep-1 events only fill its window.
    expect(rows.length - 1).toBe(events.length - times.size * (SEQ_STEP - 1));
    const perStream = new Map<string, number>();
    for (const row of rows.slice(1)) {
      const [stream, ts, value, score, threshold, anomalous] = row.split(',');
      expect(ts).toMatch(ISO);
      const original = values.get(`${stream} ${ts}`);
      expect(original, `${stream} ${ts}`).toBeDefined();
      // Windows hold float32: the value is the event's, as the model saw it.
      expect(Math.fround(Number(value))).toBe(Math.fround(original!));
      expect(anomalous).toBe(Number(score) > Number(threshold) ? '1' : '0');
      perStream.set(stream, (perStream.get(stream) ?? 0) + 1);
    }
    for (const [stream, ts] of times) expect(perStream.get(stream)).toBe(ts.size - (SEQ_STEP - 1));
  });

  it('reports malformed, late and repeated lines with line and reason, and scores the rest exactly as without them', async () => {
    // One event at a time through the pipeline (the shipped configuration with maxBatch 1 and maxInFlight 1), so the
    // comparison does not depend on how batches happen to be cut: today a stream's learned cadence reaches its level
    // normalisation only once a batch has finished, which makes batched runs differ slightly from run to run.
    const shipped = parse(readFileSync(config, 'utf8')) as { inference: { maxBatch: number }; daemon: { maxInFlight: number }; models: Record<string, string> };
    shipped.inference.maxBatch = 1;
    shipped.daemon.maxInFlight = 1;
    for (const name of Object.keys(shipped.models)) shipped.models[name] = resolve(dirname(config), shipped.models[name]);
    const oneByOne = join(dir, 'one-by-one.yaml');
    writeFileSync(oneByOne, stringify(shipped));

    const head = lines.slice(0, 3000);
    const clean = join(dir, 'clean.ndjson');
    writeFileSync(clean, head.join('\n') + '\n');
    const bad = [...head];
    // Inserted from the back so the line numbers below are the final ones.
    const inserts: [number, string, string][] = [
      [2500, '{"stream":"src-003","ts":"2026-01-06T00:00:00Z","value":1}', 'out_of_order'],
      [2000, head[1999], 'duplicate_timestamp'],
      [1000, '{"stream":"src-001","ts":"2026-01-05T12:00:00Z","value":"n/a"}', 'non_finite_value'],
      [500, '{"stream":"src-000","value":12}', 'missing_field'],
      [10, '{"stream": "src-000", "ts": ', 'invalid_json'],
    ];
    for (const [at, text] of inserts) bad.splice(at, 0, text);
    const file = join(dir, 'with-bad-lines.ndjson');
    writeFileSync(file, bad.join('\n') + '\n');

    const [expected, r] = await Promise.all([
      anomalydAsync(['replay', '--config', oneByOne, '--input', clean, '--alerts', join(dir, 'alerts-clean.ndjson')]),
      anomalydAsync(['replay', '--config', oneByOne, '--input', file, '--alerts', join(dir, 'alerts-bad.ndjson')]),
    ]);
    expect(expected.code, expected.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    const alerts = readFileSync(join(dir, 'alerts-bad.ndjson'), 'utf8');
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts).toBe(readFileSync(join(dir, 'alerts-clean.ndjson'), 'utf8'));
    const logged = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; line?: number; reason?: string })
      .filter((l) => l.msg === 'event not scored');
    // Each inserted line shifts the ones after it; line numbers are 1-based.
    expect(logged.map((l) => ({ line: l.line, reason: l.reason })).sort((a, b) => a.line! - b.line!)).toEqual(
      inserts
        .map(([at, , reason]) => ({ at, reason }))
        .sort((a, b) => a.at - b.at)
        .map(({ at, reason }, k) => ({ line: at + 1 + k, reason })),
    );
  });

  it('refuses options of the one-file replay and a missing input, naming them', async () => {
    const both = await anomalydAsync(['replay', '--config', config, '--model', join(repo, 'models', 'eps-gru'), '--input', eventsFile]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--model and --config are alternatives');
    const threshold = await anomalydAsync(['replay', '--config', config, '--input', eventsFile, '--threshold', '0.5']);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toContain('--threshold: only with --model');
    const missing = await anomalydAsync(['replay', '--config', config, '--input', join(dir, 'nope.ndjson')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.ndjson: cannot read: no such file');
  });
});

describe('anomalyd replay --model', () => {
  it('gives alerts no times when the file has none, and the file’s times when it has them', async () => {
    const values = readFileSync(join(sharedDir, 'data', 'eps', 'timeseries4.csv'), 'utf8').trim().split(/\r?\n/);
    values[50] = '40000';
    const untimed = join(dir, 'untimed.csv');
    writeFileSync(untimed, values.join('\n') + '\n');
    const start = Date.parse('2026-03-02T00:00:00Z');
    const timed = join(dir, 'timed.csv');
    writeFileSync(timed, ['timestamp,value', ...values.map((v, i) => `${new Date(start + i * 1_800_000).toISOString()},${v}`)].join('\n') + '\n');

    const model = join(repo, 'models', 'eps-gru');
    const a = await anomalydAsync(['replay', '--model', model, '--input', untimed, '--alerts', join(dir, 'untimed-alerts.ndjson')]);
    expect(a.code, a.stderr).toBe(0);
    const plain = readAlerts(join(dir, 'untimed-alerts.ndjson'));
    expect(plain.length).toBeGreaterThan(0);
    for (const m of plain) expect([m.startTs, m.peakTs, m.endTs]).toEqual([null, null, null]);

    const b = await anomalydAsync(['replay', '--model', model, '--input', timed, '--alerts', join(dir, 'timed-alerts.ndjson')]);
    expect(b.code, b.stderr).toBe(0);
    const withTimes = readAlerts(join(dir, 'timed-alerts.ndjson')) as (AlertMessage & { startIndex: number; peakIndex: number })[];
    expect(withTimes.map((m) => m.alertId)).toHaveLength(plain.length);
    for (const m of withTimes) {
      expect(m.startTs).toBe(new Date(start + m.startIndex * 1_800_000).toISOString());
      expect(m.peakTs).toBe(new Date(start + m.peakIndex * 1_800_000).toISOString());
    }
  });
});
