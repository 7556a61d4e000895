import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIncidentLabels } from '../src/eval/incidents/labels.js';
import { readAlertOpens } from '../src/eval/incidents/opens.js';
import { scoreIncidents } from '../src/eval/incidents/score.js';
import { anomalydAsync } from './support/cli.js';
import { repo, sharedDir } from './support/daemon-process.js';

// anomalyd's incident scorer against the reference implementation, socbench.py score, on the same alert files:
// the alerts of the real replay of the benchmark, and synthetic alert sets placed on the edges of its rules.

const bench = join(sharedDir, 'socbench');
const labelsFile = join(bench, 'labels.json');
const FIELDS = ['recall', 'found', 'labelled', 'byKind', 'byKindCounts', 'falsePerStreamDay', 'falseEpisodes', 'streamDays', 'medianDelayPoints'] as const;

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'anomalyd-socbench-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function socbenchScore(alerts: string): Record<string, unknown> {
  const r = spawnSync('python3', [join(bench, 'socbench.py'), 'score', '--labels', labelsFile, '--alerts', alerts, '--json'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const pick = (r: object) => Object.fromEntries(FIELDS.map((k) => [k, (r as Record<string, unknown>)[k]]));

function tsScore(alerts: string): Record<string, unknown> {
  return pick(scoreIncidents(readIncidentLabels(labelsFile), readAlertOpens(alerts).opens));
}

describe('the incident scorer agrees with socbench.py score', () => {
  it('on the alerts of `anomalyd evaluate --config` over the benchmark, which reports the same numbers', async () => {
    const alerts = join(dir, 'alerts.ndjson');
    const r = await anomalydAsync(['evaluate', '--config', join(repo, 'config', 'anomalyd.yaml'), '--input', join(bench, 'events.ndjson'), '--labels', labelsFile, '--alerts', alerts, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    const reference = pick(socbenchScore(alerts));
    expect(reference.falseEpisodes).toBeGreaterThan(0);
    expect(reference.found).toBeGreaterThan(0);
    expect(pick(report)).toEqual(reference);
    expect(tsScore(alerts)).toEqual(reference);
    expect(report.events).toBe(readFileSync(join(bench, 'events.ndjson'), 'utf8').trimEnd().split('\n').length);
  });

  describe('on synthetic alerts at the edges of its rules', () => {
    const meta = JSON.parse(readFileSync(labelsFile, 'utf8')) as {
      cadenceSeconds: number;
      warmupEnd: string;
      end: string;
      streams: Record<string, { kind: string; start: string; end: string }[]>;
    };
    const step = meta.cadenceSeconds * 1000;
    const ranges = Object.entries(meta.streams).flatMap(([stream, rs]) => rs.map((r) => ({ stream, kind: r.kind, start: Date.parse(r.start), end: Date.parse(r.end) })));
    const clean = Object.keys(meta.streams).filter((s) => meta.streams[s].length === 0);
    const scoredEnd = (r: (typeof ranges)[number]) => (r.kind === 'shift' ? Math.min(r.end, r.start + 48 * step) : r.end);
    const open = (stream: string, t: number, asNumber = false) => ({ alertId: `${stream}@${t}`, state: 'open', stream, startTs: asNumber ? t : new Date(t).toISOString() });

    // A small seeded generator, so the random set is the same on every run.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const warm = Date.parse(meta.warmupEnd);
    const last = Date.parse(meta.end);

    const sets: Record<string, object[]> = {
      'one millisecond before each range': ranges.map((r) => open(r.stream, r.start - 1)),
      'at each start': ranges.map((r) => open(r.stream, r.start)),
      'at each tolerance edge (a shift: its first day)': ranges.map((r) => open(r.stream, scoredEnd(r) + 3 * step)),
      'one second past it': ranges.map((r) => open(r.stream, scoredEnd(r) + 3 * step + 1000)),
      'at each whole range end plus tolerance, and one second later': ranges.flatMap((r) => [open(r.stream, r.end + 3 * step), open(r.stream, r.end + 3 * step + 1000)]),
      'around the end of warm-up on clean streams': clean.flatMap((s) => [open(s, warm - 1000), open(s, warm), open(s, warm + 1)]),
      'several opens per range, the later first, with update and resolved messages': ranges.flatMap((r) => [
        open(r.stream, r.start + 2 * step),
        { ...open(r.stream, r.start + 2 * step), state: 'update' },
        open(r.stream, r.start + step, true),
        { ...open(r.stream, r.start - step), state: 'resolved' },
      ]),
      'random opens over the month, some as epoch ms, some on unknown streams': Array.from({ length: 3000 }, (_, i) => {
        const streams = Object.keys(meta.streams);
        const stream = i % 97 === 0 ? 'not-a-source' : streams[Math.floor(random() * streams.length)];
        const t = Math.round(warm - 2 * 86_400_000 + random() * (last - warm + 3 * 86_400_000));
        return open(stream, t, i % 3 === 0);
      }),
    };

    const alertsFile = (name: string) => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.ndjson`);
      writeFileSync(file, sets[name].map((a) => JSON.stringify(a)).join('\n') + '\n');
      return file;
    };

    it.each(Object.keys(sets))('%s', (name) => {
      const file = alertsFile(name);
      const reference = pick(socbenchScore(file));
      expect(tsScore(file)).toEqual(reference);
    });

    it('the edges decide what they should', () => {
      const count = (name: string) => scoreIncidents(readIncidentLabels(labelsFile), readAlertOpens(alertsFile(name)).opens);
      expect(count('at each start')).toMatchObject({ found: ranges.length, medianDelayPoints: 0 });
      expect(count('at each tolerance edge (a shift: its first day)').found).toBe(ranges.length);
      const past = count('one second past it');
      const shifts = ranges.filter((r) => r.kind === 'shift').length;
      expect(shifts).toBeGreaterThan(0);
      expect(past.byKindCounts.shift).toEqual([0, shifts]);
      expect(count('around the end of warm-up on clean streams').falseEpisodes).toBe(2 * clean.length);
    });
  });
});
