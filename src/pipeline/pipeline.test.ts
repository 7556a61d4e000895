import { describe, expect, it } from 'vitest';
import { concatMap, from, lastValueFrom, map, of, timer, toArray } from 'rxjs';
import { lastValueModel } from '../../test/support/last-value-model.js';
import { ScoringPipeline } from './pipeline.js';
import { MODEL_ONLY_SCORING } from './replay.js';
import { StreamRouter } from './router.js';
import type { PipelineModel } from './scoring-model.js';
import type { BatchResult } from './types.js';
import type { MetricEvent } from './types.js';
import { throughWire } from '../kafka/state-record.js';

const ev = (stream: string, ts: number, v: number): MetricEvent<string> => ({ stream, ts, values: [v], source: `${stream}@${ts}` });

const model = (delays: number[], failOnCall?: number) => lastValueModel({ delays, failOnCall });

function pipeline(m: PipelineModel, extra: Partial<ConstructorParameters<typeof ScoringPipeline>[0]> & { resolveAfter?: number } = {}) {
  const models = new Map([['m', m]]);
  return new ScoringPipeline({
    router: new StreamRouter([{ match: '*', model: 'm', alert: { openAfter: 1, resolveAfter: extra.resolveAfter ?? 1 }, scoring: MODEL_ONLY_SCORING }], models),
    models,
    maxBatch: 2,
    maxLatencyMs: 1000,
    ...extra,
  });
}

/** The streams each batch evicted, batches that evicted none left out. */
const evictedIn = (out: BatchResult<unknown>[]) => out.map((b) => b.evicted ?? []).filter((e) => e.length > 0);

const events = (values: number[]): MetricEvent<number>[] => values.map((v, i) => ({ stream: 's', ts: i, values: [v], source: i }));

describe('ScoringPipeline', () => {
  it('keeps arrival order and episode order when a later batch is scored first', async () => {
    // Batches of 2 events: [0,1] [2,3] [4,5]; the first inference is the slowest.
    const p = pipeline(model([60, 0, 0]));
    const out = await lastValueFrom(from(events([1, 1, 20, 1, 30, 1])).pipe(p.operator(), toArray()));
    expect(out.map((b) => b.sources)).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(out.flatMap((b) => b.scored.map((w) => w.index))).toEqual([1, 2, 3, 4, 5]);
    expect(out.flatMap((b) => b.alerts.map((a) => `${a.state}@${a.startIndex}`))).toEqual(['open@2', 'resolved@2', 'open@4', 'resolved@4']);
  });

  it('fails the stream with the inference error, once', async () => {
    const p = pipeline(model([0, 0, 0], 1));
    await expect(lastValueFrom(from(events([1, 1, 1, 1, 1, 1])).pipe(p.operator(), toArray()))).rejects.toThrow('predict failed');
  });

  it('evicts a stream idle for idleEvictAfterMs of event time: its open episode resolves as evicted, its state goes', async () => {
    const p = pipeline(model([]), { idleEvictAfterMs: 100, resolveAfter: 50 });
    // "a" opens an episode (20 > threshold 10) and goes quiet at ts 2; "b" carries the clock on to ts 300.
    const input = [ev('a', 1, 1), ev('a', 2, 20), ...Array.from({ length: 30 }, (_, i) => ev('b', 10 * (i + 1), 1))];
    const out = await lastValueFrom(from(input).pipe(p.operator(), toArray()));
    const alerts = out.flatMap((b) => b.alerts);
    expect(alerts.map((a) => [a.stream, a.state, a.reason])).toEqual([
      ['a', 'open', undefined],
      ['a', 'resolved', 'evicted'],
    ]);
    expect(alerts[1]).toMatchObject({ alertId: alerts[0].alertId, startTs: new Date(2).toISOString(), endTs: new Date(2).toISOString() });
    expect(evictedIn(out)).toEqual([['a']]);
    expect(p.activeStreams).toBe(1);
    // Every holder forgot it with the stream's record.
    expect([p.windows.snapshot('a'), p.silences.snapshot('a'), p.scorers.snapshot('a'), p.snapshot('a')]).toEqual([undefined, undefined, undefined, undefined]);
    expect([p.windows.size, p.silences.size]).toEqual([1, 1]);
    // The returning "a" warms up again: its first event is not scored, its second is.
    const back = await lastValueFrom(from([ev('a', 360, 1), ev('a', 370, 1)]).pipe(p.operator(), toArray()));
    expect(back.flatMap((b) => b.scored.map((w) => w.ts))).toEqual([370]);
    expect(p.activeStreams).toBe(2);
  });

  it('never evicts a stream that keeps delivering, however far behind the clock its timestamps are', async () => {
    const p = pipeline(model([]), { idleEvictAfterMs: 100 });
    // "late" lags 1000 behind "now" but sends every few events.
    const input = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? ev('late', i, 1) : ev('now', 1000 + i * 10, 1)));
    expect(evictedIn(await lastValueFrom(from(input).pipe(p.operator(), toArray())))).toEqual([]);
  });

  it('measures idleness on each lane\'s own clock: a partition fetched days ahead evicts none of another\'s streams, a stream idle in its own lane goes', async () => {
    const p = pipeline(model([]), { idleEvictAfterMs: 100, laneOf: (source: unknown) => String(source).split('|')[0] });
    const on = (lane: string, stream: string, ts: number) => ({ stream, ts, values: [1], source: `${lane}|${stream}@${ts}` });
    // Lane p1 is fetched far ahead (to ts 1000) and its batches finish before lane p0's next fetch
    // (ts 10 to 60) arrives: p0's "slow" keeps delivering in its own time and stays; p1's "quiet" stops
    // at ts 10 while its lane goes on, and is evicted. A misshapen event naming "slow" in lane p1 is
    // rejected and does not put "slow" on p1's clock.
    const misshapen = { stream: 'slow', ts: 15, values: [1, 2], source: 'p1|junk' };
    const first = [on('p0', 'slow', 0), on('p1', 'quiet', 5), on('p1', 'quiet', 10), misshapen, ...Array.from({ length: 100 }, (_, i) => on('p1', 'fast', 10 * (i + 1)))];
    const out = await lastValueFrom(from(first).pipe(p.operator(), toArray()));
    const next = await lastValueFrom(from(Array.from({ length: 6 }, (_, i) => on('p0', 'slow', 10 * (i + 1)))).pipe(p.operator(), toArray()));
    expect(evictedIn([...out, ...next]).flat()).toEqual(['quiet']);
    // Not evicted, so not warming up again: every one of its events after the first is scored.
    expect(next.flatMap((b) => b.scored.map((w) => w.ts))).toEqual([10, 20, 30, 40, 50, 60]);
    expect(p.holds('slow')).toBe(true);
  });

  it('does not let rejected input move the event-time clock', async () => {
    const p = pipeline(model([]), { idleEvictAfterMs: 100 });
    // A misshapen event dated far ahead (two values for a one-feature model) is rejected, and ages nobody.
    const input = [ev('a', 1, 1), ev('a', 2, 1), { stream: 'junk', ts: 1_000_000, values: [1, 2], source: 'junk' }, ev('b', 4, 1), ev('b', 5, 1)];
    const out = await lastValueFrom(from(input).pipe(p.operator(), toArray()));
    expect(out.flatMap((b) => b.rejected.map((r) => r.reason))).toEqual(['wrong_feature_count']);
    expect(evictedIn(out)).toEqual([]);
  });

  it('rejects events of new streams beyond maxActiveStreams as stream_limit, and takes them once a slot is free', async () => {
    const p = pipeline(model([]), { maxActiveStreams: 2, idleEvictAfterMs: 100 });
    const input = [ev('a', 1, 1), ev('b', 2, 1), ev('c', 3, 1), ev('a', 4, 1), ev('b', 200, 1), ev('b', 210, 1), ev('b', 220, 1), ev('b', 230, 1)];
    const out = await lastValueFrom(from(input).pipe(p.operator(), toArray()));
    const rejected = out.flatMap((b) => b.rejected);
    expect(rejected.map((r) => [r.reason, r.source])).toEqual([['stream_limit', 'c@3']]);
    expect(rejected[0].detail).toMatch(/2 streams are active/);
    // Every event is accounted for, the rejected one included.
    expect(out.flatMap((b) => b.sources)).toEqual(input.map((e) => e.source));
    // "a" was evicted after b's run of events: "c" gets its slot.
    expect(p.activeStreams).toBe(1);
    const later = await lastValueFrom(from([ev('c', 240, 1)]).pipe(p.operator(), toArray()));
    expect(later.flatMap((b) => b.rejected)).toEqual([]);
    expect(p.activeStreams).toBe(2);
  });
});

describe('ScoringPipeline silence', () => {
  it('finds a source silent in event time even when its silence lies inside one micro-batch', async () => {
    const m = model([]);
    const models = new Map([['m', m]]);
    const p = new ScoringPipeline<number>({
      router: new StreamRouter([{ match: '*', model: 'm', alert: { openAfter: 1, resolveAfter: 1 }, silence: { after: 2 } }], models),
      models,
      maxBatch: 10_000,
      maxLatencyMs: 1000,
    });
    const C = 60_000;
    const input: MetricEvent<number>[] = [];
    for (let i = 0; i < 30; i++) {
      input.push({ stream: 'steady', ts: i * C, values: [1] });
      if (i < 10 || i >= 20) input.push({ stream: 'gappy', ts: i * C, values: [1] });
    }
    const out = await lastValueFrom(from(input).pipe(p.operator(), toArray()));
    expect(out).toHaveLength(1);
    expect(out[0].alerts.map((a) => [a.stream, a.state, a.kind, a.startTs])).toEqual([
      ['gappy', 'open', 'silence', new Date(10 * C).toISOString()],
      ['gappy', 'resolved', 'silence', new Date(10 * C).toISOString()],
    ]);
    expect(out[0].events).toBe(50);
  });

  it('reports each touched stream\'s state as of the end of its batch; a pipeline restored from it continues identically', async () => {
    const models = new Map([['m', model([])]]);
    const make = () =>
      new ScoringPipeline<number>({
        router: new StreamRouter([{ match: '*', model: 'm', alert: { openAfter: 1, resolveAfter: 2 } }], models),
        models,
        maxBatch: 3,
        maxLatencyMs: 1000,
        snapshots: true,
      });
    const values = [1, 1, 20, 1, 30, 1, 1, 1, 40, 1, 1, 1];
    const input: MetricEvent<number>[] = values.flatMap((v, i) => [
      { stream: 'a', ts: i, values: [v], source: 2 * i },
      { stream: 'b', ts: i, values: [v + 1], source: 2 * i + 1 },
    ]);
    const whole = await lastValueFrom(from(input).pipe(make().operator(), toArray()));
    expect(whole[0].state.map((s) => s.stream)).toEqual(['a', 'b']);
    // Cut after the 4th batch (12 events), keep the state its results carried, and go on in a new pipeline.
    const head = whole.slice(0, 4);
    const resumed = make();
    for (const b of head) for (const { stream, snapshot } of b.state) resumed.restore(stream, throughWire(snapshot));
    const tail = await lastValueFrom(from(input.slice(12)).pipe(resumed.operator(), toArray()));
    const strip = (bs: typeof whole) => bs.map(({ inference: _inference, ...b }) => b);
    expect(strip(tail)).toEqual(strip(whole.slice(4)));
    expect(resumed.snapshot('a')).toEqual(whole.at(-1)!.state.find((s) => s.stream === 'a')!.snapshot);
  });
});

describe('ScoringPipeline state snapshots', () => {
  const HALF_HOUR = 1_800_000;
  const T0 = Date.UTC(2026, 0, 5);
  const make = () => {
    const models = new Map([['m', model([])]]);
    return new ScoringPipeline<number>({
      // The default scoring (context), silences and eviction: every per-stream state holder in play.
      router: new StreamRouter([{ match: '*', model: 'm', alert: { openAfter: 1, resolveAfter: 2 }, silence: { after: 2 } }], models),
      models,
      maxBatch: 7,
      maxLatencyMs: 1000,
      idleEvictAfterMs: 10 * HALF_HOUR,
      snapshots: true,
    });
  };
  // Three days of three streams: "b" spikes on day 3, "c" falls silent at event 100 and is evicted later.
  const input: MetricEvent<number>[] = [];
  for (let i = 0; i < 144; i++) {
    const rhythm = 5 * (1 - 0.6 * Math.cos((2 * Math.PI * (i % 48)) / 48));
    for (const [k, stream] of ['a', 'b', 'c'].entries()) {
      if (stream === 'c' && i >= 100) continue;
      const v = rhythm * (1 + 0.1 * k) * (stream === 'b' && i >= 120 && i < 123 ? 4 : 1) + 0.01 * ((i * 7 + k) % 5);
      input.push({ stream, ts: T0 + i * HALF_HOUR, values: [v], source: input.length });
    }
  }

  // Input arriving over time, a batch's worth at a time, as from the broker: the event-time clock does not run ahead of the batches finishing.
  const paced = (events: MetricEvent<number>[]) => from(events).pipe(concatMap((e, i) => (i % 7 === 0 ? timer(2).pipe(map(() => e)) : of(e))));

  it('a pipeline restored from the state its batches carried continues exactly like an uninterrupted one: scores, alerts, silences, eviction', async () => {
    const whole = await lastValueFrom(paced(input).pipe(make().operator(), toArray()));
    const alerts = whole.flatMap((b) => b.alerts);
    // What the run must show for the comparison to mean something.
    expect(alerts.some((a) => a.stream === 'c' && a.kind === 'silence' && a.state === 'open')).toBe(true);
    expect(alerts.some((a) => a.stream === 'c' && a.reason === 'evicted')).toBe(true);
    expect(alerts.some((a) => a.stream === 'b' && a.kind !== 'silence')).toBe(true);
    const tombstones = whole.flatMap((b) => b.state.filter((s) => s.snapshot === null).map((s) => s.stream));
    expect(tombstones).toEqual(['c']);

    const strip = (bs: typeof whole) => bs.map(({ inference: _inference, ...b }) => b);
    for (const cut of [1, 10, 30, 40, 43, 44, 45, 50, 55]) {
      // The changelog after `cut` batches: each stream's last record, a tombstone deleting it.
      const changelog = new Map<string, unknown>();
      for (const b of whole.slice(0, cut)) for (const { stream, snapshot } of b.state) {
        if (snapshot === null) changelog.delete(stream);
        else changelog.set(stream, throughWire(snapshot));
      }
      const resumed = make();
      for (const [stream, snapshot] of changelog) resumed.restore(stream, snapshot as Parameters<typeof resumed.restore>[1]);
      const consumed = whole.slice(0, cut).reduce((n, b) => n + b.events, 0);
      const tail = await lastValueFrom(paced(input.slice(consumed)).pipe(resumed.operator(), toArray()));
      expect(strip(tail), `cut after batch ${cut}`).toEqual(strip(whole.slice(cut)));
    }
  });
});
