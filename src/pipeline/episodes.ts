import { createHash } from 'node:crypto';
import type { AlertPolicy } from '../config/schema.js';
import type { Alert, AlertState, ScoredWindow } from './types.js';

interface Mark {
  index: number;
  ts: number;
}

/** What an alert message needs of its episode's peak window. */
interface PeakWindow {
  score: number;
  features: number;
  values: ArrayLike<number>;
  reconstruction: ArrayLike<number>;
  stepErrors: ArrayLike<number>;
}

interface Peak extends Mark {
  window: PeakWindow;
}

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
}

/**
 * Turns each stream's scored windows into alert episodes: consecutive above-threshold windows are
 * one anomaly. `open` when `openAfter` consecutive windows are above the threshold, `update` when
 * the peak score grows, `resolved` once `resolveAfter` consecutive windows are below it. A window
 * exactly at the threshold counts as normal.
 */
export class EpisodeTracker {
  private readonly streams = new Map<string, StreamEpisode>();

  observe(w: ScoredWindow, policy: AlertPolicy): Alert | null {
    let s = this.streams.get(w.stream);
    if (s === undefined) {
      s = { aboveRun: 0, runStart: null, runPeak: null, belowRun: 0, open: false, start: null, peak: null, lastAbove: null, alertId: '' };
      this.streams.set(w.stream, s);
    }
    const mark = { index: w.index, ts: w.ts };
    if (w.anomalous) {
      s.belowRun = 0;
      s.lastAbove = mark;
      if (s.open) {
        if (w.score > s.peak!.window.score) {
          s.peak = { ...mark, window: w };
          return this.alert(s, 'update', w);
        }
        return null;
      }
      s.aboveRun++;
      if (s.runStart === null) s.runStart = mark;
      if (s.runPeak === null || w.score > s.runPeak.window.score) s.runPeak = { ...mark, window: w };
      if (s.aboveRun < policy.openAfter) return null;
      s.open = true;
      s.start = s.runStart;
      s.peak = s.runPeak;
      s.alertId = alertId(w.stream, w.model, s.start.ts);
      return this.alert(s, 'open', w);
    }
    s.aboveRun = 0;
    s.runStart = null;
    s.runPeak = null;
    if (!s.open) return null;
    s.belowRun++;
    if (s.belowRun < policy.resolveAfter) return null;
    const resolved = this.alert(s, 'resolved', w);
    s.open = false;
    s.start = null;
    s.peak = null;
    s.belowRun = 0;
    return resolved;
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
    };
  }

  restore(stream: string, state: unknown): void {
    const snap = state as StreamEpisodeSnapshot | undefined;
    if (snap === undefined || snap === null) {
      this.streams.delete(stream);
      return;
    }
    this.streams.set(stream, { ...snap, runPeak: snap.runPeak, peak: snap.peak });
  }

  isOpen(stream: string): boolean {
    return this.streams.get(stream)?.open ?? false;
  }

  drop(predicate: (stream: string) => boolean): void {
    for (const stream of this.streams.keys()) if (predicate(stream)) this.streams.delete(stream);
  }

  private alert(s: StreamEpisode, state: AlertState, current: ScoredWindow): Alert {
    const start = s.start!;
    const peak = s.peak!;
    const end = state === 'resolved' ? s.lastAbove! : null;
    const pw = peak.window;
    return {
      alertId: s.alertId,
      state,
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
      peak: {
        score: pw.score,
        values: rows(pw.values, pw.features),
        reconstruction: rows(pw.reconstruction, pw.features),
        stepErrors: Array.from(pw.stepErrors),
      },
    };
  }
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
}

interface PeakSnapshot extends Mark {
  window: { score: number; features: number; values: number[]; reconstruction: number[]; stepErrors: number[] };
}

function peakSnapshot(p: Peak | null): PeakSnapshot | null {
  if (p === null) return null;
  const w = p.window;
  return {
    index: p.index,
    ts: p.ts,
    window: { score: w.score, features: w.features, values: Array.from(w.values), reconstruction: Array.from(w.reconstruction), stepErrors: Array.from(w.stepErrors) },
  };
}

/** Stable across restarts and replays: the same episode start of the same stream and model gives the same id. */
export function alertId(stream: string, model: string, startTs: number): string {
  return createHash('sha256').update(`${stream}\u0000${model}\u0000${startTs}`).digest('hex').slice(0, 24);
}

function iso(ts: number): string {
  return new Date(ts).toISOString();
}

function rows(flat: ArrayLike<number>, features: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += features) out.push(Array.from({ length: features }, (_, f) => round6(flat[i + f])));
  return out;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
