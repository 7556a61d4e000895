import { describe, expect, it } from 'vitest';
import { EpisodeTracker, alertId } from './episodes.js';
import type { Alert, ScoredWindow } from './types.js';
import { throughWire } from '../kafka/state-record.js';

function win(index: number, score: number, threshold = 1, stream = 's'): ScoredWindow {
  return {
    stream,
    model: 'm',
    index,
    ts: Date.UTC(2026, 0, 1) + index * 60_000,
    values: new Float32Array([index, index + 1]),
    seqStep: 2,
    features: 1,
    score,
    threshold,
    anomalous: score > threshold,
    reconstruction: new Float32Array([0, 0]),
    stepErrors: new Float32Array([score, score]),
  };
}

function run(scores: number[], policy = { openAfter: 1, resolveAfter: 2 }): Alert[] {
  const t = new EpisodeTracker();
  const out: Alert[] = [];
  scores.forEach((s, i) => t.observe(win(i, s), policy, out));
  return out;
}

describe('EpisodeTracker', () => {
  it('opens at the first anomalous window, updates on a higher peak, resolves after resolveAfter normal windows', () => {
    const alerts = run([0.1, 2, 3, 2.5, 0.1, 0.2, 0.1]);
    expect(alerts.map((a) => a.state)).toEqual(['open', 'update', 'resolved']);
    const [open, update, resolved] = alerts;
    expect(open).toMatchObject({ startIndex: 1, peakIndex: 1, endIndex: null, endTs: null, score: 2 });
    expect(update).toMatchObject({ startIndex: 1, peakIndex: 2, score: 3 });
    expect(resolved).toMatchObject({ startIndex: 1, peakIndex: 2, endIndex: 3, score: 0.2 });
    expect(resolved.endTs).toBe(new Date(Date.UTC(2026, 0, 1) + 3 * 60_000).toISOString());
    expect(new Set(alerts.map((a) => a.alertId)).size).toBe(1);
    expect(resolved.peak.values).toEqual([[2], [3]]);
  });

  it('keeps one episode across a dip shorter than resolveAfter', () => {
    const alerts = run([2, 0.1, 2, 0.1, 0.1]);
    expect(alerts.map((a) => a.state)).toEqual(['open', 'resolved']);
    expect(alerts[1]).toMatchObject({ startIndex: 0, endIndex: 2 });
  });

  it('needs openAfter consecutive anomalous windows and starts the episode at the first of them', () => {
    const alerts = run([2, 0.1, 2, 5, 3, 0, 0], { openAfter: 2, resolveAfter: 2 });
    expect(alerts.map((a) => a.state)).toEqual(['open', 'resolved']);
    expect(alerts[0]).toMatchObject({ startIndex: 2, peakIndex: 3, score: 5 });
  });

  it('treats a score equal to the threshold as normal', () => {
    expect(run([1, 1, 1])).toEqual([]);
  });

  it('gives each episode its own deterministic id', () => {
    const alerts = run([2, 0, 0, 2, 0, 0]);
    const ids = alerts.filter((a) => a.state === 'open').map((a) => a.alertId);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[0]).toBe(alertId('s', 'm', Date.UTC(2026, 0, 1)));
  });

  it('tracks streams independently', () => {
    const t = new EpisodeTracker();
    const p = { openAfter: 1, resolveAfter: 1 };
    const out: Alert[] = [];
    t.observe(win(0, 2, 1, 'a'), p, out);
    expect(out.map((a) => a.state)).toEqual(['open']);
    t.observe(win(0, 0, 1, 'b'), p, out);
    expect(out).toHaveLength(1);
    expect(t.isOpen('a')).toBe(true);
    expect(t.isOpen('b')).toBe(false);
  });

  it('resolves an open episode on request with a reason, scored with the latest window; a closed one gives nothing', () => {
    const t = new EpisodeTracker();
    const policy = { openAfter: 1, resolveAfter: 5 };
    [0.1, 2, 3, 0.5].forEach((sc, i) => t.observe(win(i, sc), policy, []));
    const resolved = t.resolve('s', 'evicted');
    expect(resolved).toMatchObject({ state: 'resolved', reason: 'evicted', startIndex: 1, peakIndex: 2, endIndex: 2, score: 0.5 });
    expect(t.isOpen('s')).toBe(false);
    expect(t.resolve('s', 'evicted')).toBeNull();
    expect(t.resolve('never-seen', 'evicted')).toBeNull();
  });

  it('never throws on a timestamp outside the Date range (a file replay is not bounded by the decoder)', () => {
    const t = new EpisodeTracker();
    const w = { ...win(0, 5), ts: 1e17 };
    const out: Alert[] = [];
    t.observe(w, { openAfter: 1, resolveAfter: 1 }, out);
    expect(out[0]).toMatchObject({ state: 'open', startTs: '100000000000000000' });
  });

  it('continues an episode restored from its JSON snapshot: same alerts, same alert id', () => {
    const scores = [0.1, 2, 3, 2.5, 4, 0.1, 0.2, 0.1, 5, 0.1];
    const policy = { openAfter: 2, resolveAfter: 2 };
    for (let cut = 0; cut <= scores.length; cut++) {
      const whole = new EpisodeTracker();
      const expected: Alert[] = [];
      scores.forEach((s, i) => whole.observe(win(i, s), policy, expected));
      const first = new EpisodeTracker();
      const got: Alert[] = [];
      scores.slice(0, cut).forEach((s, i) => first.observe(win(i, s), policy, got));
      const second = new EpisodeTracker();
      second.restore('s', throughWire(first.snapshot('s') ?? null) ?? undefined);
      scores.slice(cut).forEach((s, i) => second.observe(win(cut + i, s), policy, got));
      expect(got).toEqual(expected);
      // An eviction after the restore resolves with the same message as without it.
      expect(second.resolve('s', 'evicted')).toEqual(whole.resolve('s', 'evicted'));
    }
  });

  it('has no snapshot for a stream in a fresh state', () => {
    const t = new EpisodeTracker();
    t.observe(win(0, 0.1), { openAfter: 1, resolveAfter: 1 }, []);
    expect(t.snapshot('s')).toBeUndefined();
    t.observe(win(1, 2), { openAfter: 1, resolveAfter: 1 }, []);
    expect(t.snapshot('s')).toMatchObject({ open: true });
  });

  it('holds no state for a quiet stream, and a peak outlives the batch buffers its window was a view of', () => {
    const t = new EpisodeTracker();
    const out: Alert[] = [];
    const policy = { openAfter: 1, resolveAfter: 2 };
    t.observe(win(0, 0.1, 1, 'quiet'), policy, out);
    expect(t.resolve('quiet', 'evicted')).toBeNull();
    // Two windows scored in one batch: their reconstructions are views of one buffer, reused afterwards.
    const batch = new Float32Array([7, 8, 9, 10]);
    const first = { ...win(1, 5), reconstruction: batch.subarray(0, 2) };
    const second = { ...win(2, 0.5), reconstruction: batch.subarray(2, 4) };
    t.observe(first, policy, out);
    t.observe(second, policy, out);
    batch.fill(0);
    const evicted = t.resolve('s', 'evicted');
    expect(evicted).toMatchObject({ state: 'resolved', reason: 'evicted', score: 0.5, peakIndex: 1 });
    expect(evicted!.peak.reconstruction).toEqual([[7], [8]]);
  });
});
