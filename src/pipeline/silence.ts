import FlatQueue from 'flatqueue';
import { alertId } from './episodes.js';
import type { StreamStateStore } from './stream-records.js';
import { ALERT_SCHEMA_VERSION, type Alert } from './types.js';

/** A stream's activity as plain JSON (absent cadence or arrival: null). */
export interface SilenceSnapshot {
  model: string;
  after: number;
  cadence: number | null;
  lastTs: number;
  lastIndex: number;
  lastArrival: number | null;
  silence: { startTs: number; alertId: string; missed: number } | null;
}

export interface StreamActivity {
  /** The stream's id as first seen (the Map's key), so the deadline queue holds no copy per event. */
  stream: string;
  model: string;
  /** Cadences without an event before a silence opens (0: never). */
  after: number;
  /** The stream's cadence as staging learned it (see ScoringPipeline). */
  cadence: number | undefined;
  lastTs: number;
  lastIndex: number;
  /** Wall-clock ms when the newest event arrived (the daemon's clock; replays leave it unset). */
  lastArrival: number | undefined;
  silence: { startTs: number; alertId: string; missed: number } | null;
  /** The earliest deadline this stream has in the queue (Infinity: none known). */
  queuedAt: number;
}

/**
 * Notices sources that stop reporting. Each stream's cadence is learned from its own events; once
 * no event came for `after` cadences (plus one, for events of the same moment still on their way)
 * a `silence` episode opens, dated at the first missing event, and it resolves when events return.
 *
 * "Now" is event time: the watermark, the newest timestamp of any stream — or, when events come in
 * several lanes that each keep time order but not with each other (Kafka partitions), the oldest of
 * the lanes' newest timestamps, so a lane fetched ahead does not make another's streams look silent —
 * so a replay finds the
 * same silences as the live daemon. The daemon also passes the wall clock, measured against each
 * stream's last arrival, so a source is caught even when every stream of its partition goes quiet.
 */
export class SilenceTracker {
  constructor(private readonly streams: StreamStateStore<StreamActivity> = new Map<string, StreamActivity>()) {}

  private watermark = -Infinity;
  /** Newest timestamp per lane (one lane unless the caller names them). */
  private readonly lanes = new Map<string, number>();
  /**
   * When each stream falls silent by event time if nothing else arrives. Checking only what is due
   * keeps the cost per event logarithmic, however many streams there are. A stream has one entry,
   * not one per event: an entry that comes due after the stream reported again is put back at the
   * stream's new deadline (an earlier deadline, after its cadence shrank, gets an entry of its own),
   * and only an entry at the stream's current deadline opens a silence — in deadline order, as one
   * entry per event did.
   */
  // Stream ids and deadlines in two flat arrays: an object per entry, with its deadline boxed, cost ~56 bytes a stream.
  private readonly deadlines = new FlatQueue<string>();

  get size(): number {
    return this.streams.size;
  }

  /** An accepted event of `stream`; adds the `resolved` message to `out` when it ends a silence. */
  observe(
    stream: string,
    model: string,
    after: number,
    ts: number,
    cadence: number | undefined,
    index: number,
    arrival: number | undefined,
    out: Alert[],
    lane = '',
  ): void {
    let s = this.streams.get(stream);
    if (s === undefined) {
      s = { stream, model, after, cadence, lastTs: ts, lastIndex: index, lastArrival: arrival, silence: null, queuedAt: Infinity };
      this.streams.set(stream, s);
    }
    if (s.silence !== null) {
      out.push(this.alert(stream, s, 'resolved', ts));
      s.silence = null;
    }
    s.model = model;
    s.after = after;
    s.cadence = cadence;
    s.lastTs = ts;
    s.lastIndex = index;
    s.lastArrival = arrival;
    const due = deadline(s);
    if (due < s.queuedAt) this.queue(s, due);
    if (ts > (this.lanes.get(lane) ?? -Infinity)) {
      this.lanes.set(lane, ts);
      const watermark = this.lanes.size === 1 ? ts : Math.min(...this.lanes.values());
      if (watermark > this.watermark) {
        this.watermark = watermark;
        this.dueByEventTime(out);
      }
    }
  }

  snapshot(stream: string): SilenceSnapshot | undefined {
    const s = this.streams.get(stream);
    if (s === undefined) return undefined;
    return {
      model: s.model,
      after: s.after,
      cadence: s.cadence ?? null,
      lastTs: s.lastTs,
      lastIndex: s.lastIndex,
      lastArrival: s.lastArrival ?? null,
      silence: s.silence === null ? null : { ...s.silence },
    };
  }

  /**
   * Takes over a stream's activity: its deadline is queued again, and its lane's newest timestamp
   * moves up to its last event (the newest restored event time is where the lane left off). The
   * watermark itself moves with the next event, once every restored lane is known, as it would have
   * in an uninterrupted run.
   */
  restore(stream: string, snap: SilenceSnapshot | undefined, lane = ''): void {
    this.streams.delete(stream);
    if (snap === undefined || snap === null) return;
    const s: StreamActivity = {
      stream,
      model: snap.model,
      after: snap.after,
      cadence: snap.cadence ?? undefined,
      lastTs: snap.lastTs,
      lastIndex: snap.lastIndex,
      lastArrival: snap.lastArrival ?? undefined,
      silence: snap.silence === null ? null : { ...snap.silence },
      queuedAt: Infinity,
    };
    this.streams.set(stream, s);
    const due = deadline(s);
    if (due < Infinity) this.queue(s, due);
    if (s.lastTs > (this.lanes.get(lane) ?? -Infinity)) this.lanes.set(lane, s.lastTs);
  }

  /** Opens an episode for every stream silent by the wall clock `wallNow` (the daemon's ticks). */
  checkWallClock(wallNow: number, out: Alert[]): void {
    for (const [stream, s] of this.streams.entries()) {
      const cadence = s.cadence;
      if (s.silence !== null || s.after <= 0 || cadence === undefined || s.lastArrival === undefined) continue;
      if (wallNow - s.lastArrival >= (s.after + 1) * cadence) this.open(stream, s, cadence, wallNow - s.lastArrival, wallNow, out);
    }
  }

  private dueByEventTime(out: Alert[]): void {
    for (let at = this.deadlines.peekValue(); at !== undefined && at <= this.watermark; at = this.deadlines.peekValue()) {
      const s = this.streams.get(this.deadlines.pop()!);
      if (s === undefined) continue;
      if (at === s.queuedAt) s.queuedAt = Infinity;
      if (s.silence !== null) continue;
      const due = deadline(s);
      if (due === at) this.open(s.stream, s, s.cadence!, this.watermark - s.lastTs, this.watermark, out);
      else if (due > at && due < s.queuedAt) this.queue(s, due);
    }
  }

  private queue(s: StreamActivity, at: number): void {
    this.deadlines.push(s.stream, at);
    s.queuedAt = at;
  }

  private open(stream: string, s: StreamActivity, cadence: number, elapsed: number, at: number, out: Alert[]): void {
    const startTs = s.lastTs + cadence;
    s.silence = { startTs, alertId: alertId(stream, `${s.model}\u0000silence`, startTs), missed: Math.floor(elapsed / cadence) - 1 };
    out.push(this.alert(stream, s, 'open', at));
  }

  /** Resolves the stream's open silence, if any, for `reason` (its state stays until dropped). */
  resolve(stream: string, at: number, reason: NonNullable<Alert['reason']>): Alert | null {
    const s = this.streams.get(stream);
    if (s === undefined || s.silence === null) return null;
    const resolved = { ...this.alert(stream, s, 'resolved', at), reason };
    s.silence = null;
    return resolved;
  }

  /** Forget lanes (e.g. revoked partitions), so the watermark no longer waits for them. */
  forgetLanes(predicate: (lane: string) => boolean): void {
    for (const lane of this.lanes.keys()) if (predicate(lane)) this.lanes.delete(lane);
  }

  drop(predicate: (stream: string) => boolean): void {
    for (const stream of [...this.streams.keys()]) if (predicate(stream)) this.streams.delete(stream);
  }

  private alert(stream: string, s: StreamActivity, state: 'open' | 'resolved', at: number): Alert {
    const silence = s.silence!;
    const startTs = new Date(silence.startTs).toISOString();
    return {
      schemaVersion: ALERT_SCHEMA_VERSION,
      alertId: silence.alertId,
      state,
      kind: 'silence',
      stream,
      model: s.model,
      score: silence.missed,
      threshold: s.after,
      startIndex: s.lastIndex + 1,
      peakIndex: s.lastIndex + 1,
      endIndex: state === 'resolved' ? s.lastIndex : null,
      startTs,
      peakTs: startTs,
      endTs: state === 'resolved' ? new Date(at).toISOString() : null,
      detectedAt: new Date(at).toISOString(),
      expected: null,
      deviation: null,
      peak: { score: silence.missed, values: [], reconstruction: [], stepErrors: [] },
    };
  }
}

/** Event time at which the stream is silent if nothing else arrives (Infinity: it never is). */
function deadline(s: StreamActivity): number {
  return s.cadence !== undefined && s.after > 0 ? s.lastTs + (s.after + 1) * s.cadence : Infinity;
}
