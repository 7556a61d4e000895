import type { Route } from './router.js';
import type { StreamStateStore } from './stream-records.js';
import type { MetricEvent, Rejected, Window } from './types.js';

/**
 * A stream's window state, in one plain array of doubles: the ring of the last seqStep events'
 * values as float32 (what the window holds), then the events accepted so far, the last timestamp
 * (-Infinity: none) and the next event's index. A typed array would cost its own object and an
 * ArrayBuffer object besides (~130 bytes a stream), an object with the three numbers as fields ~50.
 */
export type WindowState = number[];

/** Offsets of the count, last timestamp and next index after a ring of `size` values. */
const COUNT = 0;
const LAST_TS = 1;
const NEXT_INDEX = 2;
const TRAILER = 3;

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
    const size = seqStep * features;
    let state = this.streams.get(event.stream);
    if (state !== undefined && state.length !== size + TRAILER) {
      // Restored under another model shape (the config changed between runs): the old tail does not fit.
      state = undefined;
      this.streams.delete(event.stream);
    }
    if (state === undefined) {
      state = newState(size, 0, -Infinity, 0);
      this.streams.set(event.stream, state);
    } else if (event.ts <= state[size + LAST_TS]) {
      const lastTs = state[size + LAST_TS];
      return event.ts === lastTs
        ? reject(event, 'duplicate_timestamp', `timestamp ${event.ts} repeats the stream's last one`)
        : reject(event, 'out_of_order', `timestamp ${event.ts} is older than the stream's last ${lastTs}`);
    }
    const count = state[size + COUNT];
    const slot = (count % seqStep) * features;
    for (let f = 0; f < features; f++) state[slot + f] = Math.fround(event.values[f]);
    state[size + COUNT] = count + 1;
    state[size + LAST_TS] = event.ts;
    const index = event.index ?? state[size + NEXT_INDEX];
    state[size + NEXT_INDEX] = index + 1;
    if (count + 1 < seqStep) return 'warming';

    // Unroll the ring oldest-first into the window.
    const values = new Float32Array(size);
    const oldest = ((count + 1) % seqStep) * features;
    for (let i = 0; i < size; i++) values[i] = state[(oldest + i) % size];
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
    const size = s.length - TRAILER;
    const lastTs = s[size + LAST_TS];
    return { ring: s.slice(0, size), count: s[size + COUNT], lastTs: Number.isFinite(lastTs) ? lastTs : null, nextIndex: s[size + NEXT_INDEX] };
  }

  restore(stream: string, state: unknown): void {
    const snap = state as WindowsSnapshot | undefined;
    if (snap === undefined || snap === null) {
      this.streams.delete(stream);
      return;
    }
    const restored = newState(snap.ring.length, snap.count, snap.lastTs ?? -Infinity, snap.nextIndex);
    for (let i = 0; i < snap.ring.length; i++) restored[i] = Math.fround(snap.ring[i]);
    this.streams.set(stream, restored);
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

/** A window state of a ring of `size` zeros. */
function newState(size: number, count: number, lastTs: number, nextIndex: number): WindowState {
  // -Infinity, a double, turns the elements into unboxed doubles from the start.
  const state = new Array<number>(size + TRAILER).fill(0);
  state[size + COUNT] = count;
  state[size + LAST_TS] = lastTs;
  state[size + NEXT_INDEX] = nextIndex;
  return state;
}
