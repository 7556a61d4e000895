import type { Route } from './router.js';
import type { StreamStateStore } from './stream-records.js';
import type { MetricEvent, Rejected, Window } from './types.js';

/** A stream's window state. */
export interface WindowState {
  /**
   * The last seqStep events' values as float32 (what the window holds), in a plain array: a typed
   * array costs its own object and an ArrayBuffer object besides, ~130 bytes more a stream.
   */
  ring: number[];
  /** Events accepted so far. */
  count: number;
  lastTs: number;
  nextIndex: number;
}

export type WindowOutcome = Window | 'warming' | Rejected;

/** A stream's window state as plain JSON (the changelog record's `windows`). */
export interface WindowsSnapshot {
  /** The ring buffer, row-major, in slot order (not oldest-first). */
  ring: number[];
  count: number;
  /** null: no event accepted yet. */
  lastTs: number | null;
  nextIndex: number;
}

/**
 * Per-stream rolling windows of the last `seqStep` events.
 *
 * Ordering rule: a stream's timestamps must increase. An event whose timestamp equals the last
 * accepted one is a duplicate (typically an upstream retry) and one that is older arrived out of
 * order; both are rejected with that reason rather than scored, because inserting them would
 * rewrite windows that were already scored and alerted on.
 */
export class StreamWindows {
  constructor(private readonly streams: StreamStateStore<WindowState> = new Map<string, WindowState>()) {}

  get size(): number {
    return this.streams.size;
  }

  push(event: MetricEvent, route: Route): WindowOutcome {
    const { seqStep, features } = route;
    if (event.values.length !== features) {
      return reject(event, 'wrong_feature_count', `expected ${features} value(s), got ${event.values.length}`);
    }
    let state = this.streams.get(event.stream);
    if (state !== undefined && state.ring.length !== seqStep * features) {
      // Restored under another model shape (the config changed between runs): the old tail does not fit.
      state = undefined;
      this.streams.delete(event.stream);
    }
    if (state === undefined) {
      state = { ring: new Array<number>(seqStep * features).fill(0), count: 0, lastTs: -Infinity, nextIndex: 0 };
      this.streams.set(event.stream, state);
    } else if (event.ts <= state.lastTs) {
      return event.ts === state.lastTs
        ? reject(event, 'duplicate_timestamp', `timestamp ${event.ts} repeats the stream's last one`)
        : reject(event, 'out_of_order', `timestamp ${event.ts} is older than the stream's last ${state.lastTs}`);
    }
    const slot = (state.count % seqStep) * features;
    for (let f = 0; f < features; f++) state.ring[slot + f] = Math.fround(event.values[f]);
    state.count++;
    state.lastTs = event.ts;
    const index = event.index ?? state.nextIndex;
    state.nextIndex = index + 1;
    if (state.count < seqStep) return 'warming';

    // Unroll the ring oldest-first into the window.
    const size = state.ring.length;
    const values = new Float32Array(size);
    const oldest = (state.count % seqStep) * features;
    for (let i = 0; i < size; i++) values[i] = state.ring[(oldest + i) % size];
    return {
      stream: event.stream,
      model: route.model,
      index,
      ts: event.ts,
      values,
      seqStep,
      features,
      receivedAt: event.receivedAt,
    };
  }

  snapshot(stream: string): WindowsSnapshot | undefined {
    const s = this.streams.get(stream);
    if (s === undefined) return undefined;
    return { ring: Array.from(s.ring), count: s.count, lastTs: Number.isFinite(s.lastTs) ? s.lastTs : null, nextIndex: s.nextIndex };
  }

  restore(stream: string, state: unknown): void {
    const snap = state as WindowsSnapshot | undefined;
    if (snap === undefined || snap === null) {
      this.streams.delete(stream);
      return;
    }
    this.streams.set(stream, {
      ring: snap.ring.map((x) => Math.fround(x)),
      count: snap.count,
      lastTs: snap.lastTs ?? -Infinity,
      nextIndex: snap.nextIndex,
    });
  }

  /** Forget streams, e.g. those of partitions revoked in a consumer-group rebalance. */
  drop(predicate: (stream: string) => boolean): number {
    let dropped = 0;
    for (const stream of [...this.streams.keys()]) {
      if (predicate(stream)) {
        this.streams.delete(stream);
        dropped++;
      }
    }
    return dropped;
  }
}

function reject(event: MetricEvent, reason: Rejected['reason'], detail: string): Rejected {
  return { reason, detail, stream: event.stream, source: event.source };
}
