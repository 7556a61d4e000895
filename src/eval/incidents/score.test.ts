import { describe, expect, it } from 'vitest';
import { opensOf } from './opens.js';
import { parseIncidentLabels } from './labels.js';
import { scoreIncidents, type EpisodeOpen, type IncidentLabels } from './score.js';

const STEP = 1_800_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
const at = (points: number) => T0 + points * STEP;
const iso = (points: number) => new Date(at(points)).toISOString();

/** Two days of warm-up, ten days in all, three streams. */
function labels(streams: Record<string, { kind: string; start: number; end: number }[]>): IncidentLabels {
  return {
    cadenceSeconds: 1800,
    start: at(0),
    end: at(10 * 48),
    warmupEnd: at(2 * 48),
    streams: new Map(Object.entries(streams).map(([s, rs]) => [s, rs.map((r) => ({ kind: r.kind, start: at(r.start), end: at(r.end) }))])),
  };
}
const open = (stream: string, points: number, extraMs = 0): EpisodeOpen => ({ stream, startTs: at(points) + extraMs });

describe('scoreIncidents', () => {
  const lab = labels({
    a: [
      { kind: 'drop', start: 200, end: 203 },
      { kind: 'shift', start: 300, end: 400 },
    ],
    b: [{ kind: 'spike', start: 250, end: 250 }],
    c: [],
  });

  it('finds a range from its start to three cadences after its end, inclusive', () => {
    for (const [t, found] of [
      [at(200) - 1, false],
      [at(200), true],
      [at(206), true],
      [at(206) + 1, false],
    ] as const) {
      const s = scoreIncidents(lab, [{ stream: 'a', startTs: t }]);
      expect(s.incidents[0].found, new Date(t).toISOString()).toBe(found);
    }
  });

  it('counts a shift only within its first day plus the tolerance, but never calls its later opens false', () => {
    expect(scoreIncidents(lab, [open('a', 300 + 48 + 3)]).byKindCounts.shift).toEqual([1, 1]);
    const late = scoreIncidents(lab, [open('a', 300 + 48 + 3, 1)]);
    expect(late.byKindCounts.shift).toEqual([0, 1]);
    expect(late.falseEpisodes).toBe(0);
    // The whole range (and its tolerance) shields an open from being false.
    expect(scoreIncidents(lab, [open('a', 403)]).falseEpisodes).toBe(0);
    expect(scoreIncidents(lab, [open('a', 403, 1)]).falseEpisodes).toBe(1);
  });

  it('calls opens at or after warm-up in no range false, and ignores earlier ones and unlabelled streams', () => {
    const s = scoreIncidents(lab, [open('c', 96, -1), open('c', 96), open('b', 100), open('zzz', 150)]);
    expect(s.falseEpisodes).toBe(2);
    expect(s.falseAlarms).toEqual([open('b', 100), open('c', 96)]);
    expect(s.unlabelledStreamOpens).toBe(1);
    // 3 streams × 8 days after warm-up.
    expect(s.streamDays).toBe(24);
    expect(s.falsePerStreamDay).toBeCloseTo(2 / 24, 15);
  });

  it('takes the first hitting open for the delay, in cadences, and the upper median', () => {
    const s = scoreIncidents(lab, [open('a', 202), open('a', 201), open('a', 310), open('b', 250, STEP / 2)]);
    expect(s.incidents.map((i) => i.delay)).toEqual([1, 10, 0.5]);
    expect(s.medianDelayPoints).toBe(1);
    expect(scoreIncidents(lab, [open('a', 201), open('a', 310)]).medianDelayPoints).toBe(10);
    expect(scoreIncidents(lab, []).medianDelayPoints).toBeNull();
  });

  it('reports recall overall and per kind, with counts, every kind listed', () => {
    const s = scoreIncidents(lab, [open('a', 200), open('b', 250)]);
    expect(s).toMatchObject({ found: 2, labelled: 3, recall: 2 / 3 });
    expect(s.byKindCounts).toEqual({ spike: [1, 1], drop: [1, 1], zero: [0, 0], silence: [0, 0], shift: [0, 1], flat: [0, 0] });
    expect(s.byKind).toEqual({ spike: 1, drop: 1, zero: null, silence: null, shift: 0, flat: null });
    expect(scoreIncidents(labels({ c: [] }), []).recall).toBeNull();
  });
});

describe('opensOf', () => {
  it('reads only open messages, by startTs (ISO or epoch ms) or else ts, and counts the ones without a time', () => {
    const r = opensOf([
      { state: 'open', stream: 'a', startTs: iso(1), alertId: 'x' },
      { state: 'update', stream: 'a', startTs: iso(2) },
      { state: 'resolved', stream: 'a', startTs: iso(3) },
      { state: 'open', stream: 'b', startTs: at(4) },
      { state: 'open', stream: 'b', startTs: null, ts: iso(5) },
      { state: 'open', stream: 'c', startTs: null },
      'not an alert',
    ]);
    expect(r.opens).toEqual([{ stream: 'a', startTs: at(1), alertId: 'x' }, { stream: 'b', startTs: at(4) }, { stream: 'b', startTs: at(5) }]);
    expect(r.untimed).toBe(1);
  });
});

describe('parseIncidentLabels', () => {
  it('names the file and the field of a bad labels file', () => {
    const good = { cadenceSeconds: 1800, start: iso(0), end: iso(480), warmupEnd: iso(96), streams: { a: [{ kind: 'drop', start: iso(200), end: iso(203) }] } };
    expect(parseIncidentLabels(good, 'l.json').streams.get('a')).toEqual([{ kind: 'drop', start: at(200), end: at(203) }]);
    expect(() => parseIncidentLabels({ ...good, cadenceSeconds: 'x' }, 'l.json')).toThrow(/^l\.json: invalid labels\n {2}cadenceSeconds: /);
    expect(() => parseIncidentLabels({ ...good, streams: { a: [{ kind: 'drop', start: 'soon', end: iso(1) }] } }, 'l.json')).toThrow(
      'streams.a[0].start: expected an ISO-8601 time',
    );
  });
});
