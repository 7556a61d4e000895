import { createHash } from 'node:crypto';
import type { AlertPolicy } from '../config/schema.js';
import { ALERT_SCHEMA_VERSION, type Alert, type AlertKind, type AlertState, type ScoredWindow } from './types.js';

interface Mark {
  index: number;
  ts: number;
}

/** What an alert message needs of its episode's peak window. */
interface PeakWindow {
  score: number;
  expected?: number;
  deviation?: number;
  kind?: AlertKind;
  features: number;
  values: ArrayLike<number>;
  reconstruction: ArrayLike<number>;
  stepErrors: ArrayLike<number>;
}

interface Peak extends Mark {
  /** The peak window, detached from its batch's buffers (see `detach`). */
  window: PeakWindow;
}

/** What a resolution that no window caused (eviction) needs of the stream's latest window. */
type LastWindow = Pick<ScoredWindow, 'stream' | 'model' | 'score' | 'threshold' | 'ts'>;

interface StreamEpisode {
  /** Consecutive windows above the threshold (while closed) and the first of them. */
  aboveRun: number;
  runStart: Mark | null;
  runPeak: Peak | null;
  /** Consecutive windows below the threshold while open. */
  belowRun: number;
  open: boolean;
  start: Mark | null;
  peak: Peak | null;
  lastAbove: Mark | null;
  alertId: string;
  kind: AlertKind;
  direction: number;
  /** The latest window's score and names, for a resolution that no window caused (eviction). */
  last: LastWindow | null;
}

/**
 * Turns each stream's scored windows into alert episodes: consecutive above-threshold windows are
 * one anomaly. `open` when `openAfter` consecutive windows are above the threshold, `update` when
 * the peak score grows, `resolved` once `resolveAfter` consecutive windows are below it. A window
 * exactly at the threshold counts as normal. An open episode whose windows turn the other way (a
 * drop after a rise, or a rise after a drop) is resolved and a new one opens: a source that goes
 * quiet after a flood is a second incident, not more of the first.
 */
export class EpisodeTracker {
  private readonly streams = new Map<string, StreamEpisode>();

  /** Adds the alert messages `w` causes (none, one, or a resolve and an open) to `out`. */
  observe(w: ScoredWindow, policy: AlertPolicy, out: Alert[]): void {
    let s = this.streams.get(w.stream);
    if (s === undefined) {
      // A quiet stream holds no episode state: a normal window leaves a fresh state as it was.
      if (!w.anomalous) return;
      s = { aboveRun: 0, runStart: null, runPeak: null, belowRun: 0, open: false, start: null, peak: null, lastAbove: null, alertId: '', kind: 'spike', direction: 0, last: null };
      this.streams.set(w.stream, s);
    }
    if (s.open && w.anomalous && s.direction !== 0 && direction(w) === -s.direction) {
      out.push(this.alert(s, 'resolved', w));
      this.close(s);
    }
    const alert = this.next(s, w, policy);
    if (alert) out.push(alert);
  }

  private next(s: StreamEpisode, w: ScoredWindow, policy: AlertPolicy): Alert | null {
    const mark = { index: w.index, ts: w.ts };
    s.last = { stream: w.stream, model: w.model, score: w.score, threshold: w.threshold, ts: w.ts };
    if (w.anomalous) {
      s.belowRun = 0;
      s.lastAbove = mark;
      if (s.open) {
        if (w.score > s.peak!.window.score) {
          s.peak = { ...mark, window: detach(w) };
          return this.alert(s, 'update', w);
        }
        return null;
      }
      s.aboveRun++;
      if (s.runStart === null) s.runStart = mark;
      if (s.runPeak === null || w.score > s.runPeak.window.score) s.runPeak = { ...mark, window: detach(w) };
      if (s.aboveRun < policy.openAfter) return null;
      s.open = true;
      s.start = s.runStart;
      s.peak = s.runPeak;
      s.kind = s.peak.window.kind ?? 'spike';
      s.direction = direction(s.peak.window);
      s.alertId = alertId(w.stream, w.model, s.start.ts);
      return this.alert(s, 'open', w);
    }
    s.aboveRun = 0;
    s.runStart = null;
    s.runPeak = null;
    if (!s.open) {
      // Back to what a fresh state holds (what a closed episode leaves behind is read only while one
      // is open), so the stream's state, and the window it holds, go.
      this.streams.delete(w.stream);
      return null;
    }
    s.belowRun++;
    if (s.belowRun < policy.resolveAfter) return null;
    const resolved = this.alert(s, 'resolved', w);
    this.close(s);
    return resolved;
  }

  private close(s: StreamEpisode): void {
    s.open = false;
    s.start = null;
    s.peak = null;
    s.belowRun = 0;
    s.aboveRun = 0;
    s.runStart = null;
    s.runPeak = null;
  }

  /**
   * The stream's episode state as plain JSON; undefined when it equals a fresh stream's (no run
   * above the threshold, no open episode), which keeps the changelog small for quiet streams.
   */
  snapshot(stream: string): StreamEpisodeSnapshot | undefined {
    const s = this.streams.get(stream);
    if (s === undefined || (!s.open && s.aboveRun === 0 && s.runStart === null)) return undefined;
    // While an episode is open the run-so-far is not read (a normal window clears it before it counts again).
    return {
      aboveRun: s.aboveRun,
      runStart: s.open ? null : s.runStart,
      runPeak: s.open ? null : peakSnapshot(s.runPeak),
      belowRun: s.belowRun,
      open: s.open,
      start: s.start,
      peak: peakSnapshot(s.peak),
      lastAbove: s.lastAbove,
      alertId: s.alertId,
      kind: s.kind,
      direction: s.direction,
      // What a resolution without a window (eviction) reads of the latest one.
      last: s.last === null ? null : { stream: s.last.stream, model: s.last.model, score: s.last.score, threshold: s.last.threshold, ts: s.last.ts },
    };
  }

  restore(stream: string, state: unknown): void {
    const snap = state as StreamEpisodeSnapshot | undefined;
    if (snap === undefined || snap === null) {
      this.streams.delete(stream);
      return;
    }
    this.streams.set(stream, {
      ...snap,
      runPeak: snap.runPeak,
      peak: snap.peak,
      kind: snap.kind ?? 'spike',
      direction: snap.direction ?? 0,
      last: snap.last ?? null,
    });
  }

  isOpen(stream: string): boolean {
    return this.streams.get(stream)?.open ?? false;
  }

  /** Resolves the stream's open episode, if any, for `reason`; the stream's state stays until dropped. */
  resolve(stream: string, reason: NonNullable<Alert['reason']>): Alert | null {
    const s = this.streams.get(stream);
    if (s === undefined || !s.open) return null;
    const resolved = { ...this.alert(s, 'resolved', s.last!), reason };
    s.open = false;
    s.start = null;
    s.peak = null;
    s.belowRun = 0;
    return resolved;
  }

  drop(predicate: (stream: string) => boolean): void {
    for (const stream of this.streams.keys()) if (predicate(stream)) this.streams.delete(stream);
  }

  private alert(s: StreamEpisode, state: AlertState, current: LastWindow): Alert {
    const start = s.start!;
    const peak = s.peak!;
    const end = state === 'resolved' ? s.lastAbove! : null;
    const pw = peak.window;
    return {
      schemaVersion: ALERT_SCHEMA_VERSION,
      alertId: s.alertId,
      state,
      kind: s.kind,
      stream: current.stream,
      model: current.model,
      score: state === 'resolved' ? current.score : pw.score,
      threshold: current.threshold,
      startIndex: start.index,
      peakIndex: peak.index,
      endIndex: end?.index ?? null,
      startTs: iso(start.ts),
      peakTs: iso(peak.ts),
      endTs: end ? iso(end.ts) : null,
      detectedAt: iso(current.ts),
      expected: pw.expected === undefined ? null : round6(pw.expected),
      deviation: pw.deviation === undefined ? null : round6(pw.deviation),
      peak: {
        score: pw.score,
        values: rows(pw.values, pw.features),
        reconstruction: rows(pw.reconstruction, pw.features),
        stepErrors: Array.from(pw.stepErrors),
      },
    };
  }
}

/**
 * The window with its own copies of the reconstruction and step errors: a scored window's are views
 * of its batch's buffers, and a peak held for the length of an episode would keep the whole batch's
 * (~40 KB at 1024 windows) alive.
 */
function detach(w: ScoredWindow): PeakWindow {
  return { ...w, reconstruction: w.reconstruction.slice(), stepErrors: w.stepErrors.slice() };
}

/** A stream's episode state as plain JSON (the changelog record's `episode`). */
export interface StreamEpisodeSnapshot {
  aboveRun: number;
  runStart: Mark | null;
  runPeak: PeakSnapshot | null;
  belowRun: number;
  open: boolean;
  start: Mark | null;
  peak: PeakSnapshot | null;
  lastAbove: Mark | null;
  alertId: string;
  kind: AlertKind;
  direction: number;
  last: { stream: string; model: string; score: number; threshold: number; ts: number } | null;
}

interface PeakSnapshot extends Mark {
  window: {
    score: number;
    features: number;
    values: number[];
    reconstruction: number[];
    stepErrors: number[];
    expected?: number;
    deviation?: number;
    kind?: AlertKind;
  };
}

function peakSnapshot(p: Peak | null): PeakSnapshot | null {
  if (p === null) return null;
  const w = p.window;
  return {
    index: p.index,
    ts: p.ts,
    window: {
      score: w.score,
      features: w.features,
      values: Array.from(w.values),
      reconstruction: Array.from(w.reconstruction),
      stepErrors: Array.from(w.stepErrors),
      ...(w.expected !== undefined ? { expected: w.expected } : {}),
      ...(w.deviation !== undefined ? { deviation: w.deviation } : {}),
      ...(w.kind !== undefined ? { kind: w.kind } : {}),
    },
  };
}

/** Stable across restarts and replays: the same episode start of the same stream and model gives the same id. */
export function alertId(stream: string, model: string, startTs: number): string {
  return createHash('sha256').update(`${stream}\u0000${model}\u0000${startTs}`).digest('hex').slice(0, 24);
}

/** Decoders bound timestamps to real dates; a file replay might not, and an alert must never throw. */
function iso(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString();
}

/**
 * +1 when the window's newest value lies above what the stream's context expected, -1 below, 0 when
 * there is no expectation (a window judged by its shape alone turns with every step of a spike).
 */
function direction(w: Pick<ScoredWindow, 'deviation'>): number {
  return w.deviation === undefined ? 0 : Math.sign(w.deviation);
}

function rows(flat: ArrayLike<number>, features: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += features) out.push(Array.from({ length: features }, (_, f) => round6(flat[i + f])));
  return out;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
