import type { Alert, ScoredWindow } from '../pipeline/types.js';
import { OTHER_STREAM, type StreamLabeler } from './streamLabels.js';

/** What the silence and episode metrics know of one stream (or, for `__other__`, of the folded streams). */
export interface ActivityState {
  /** Event timestamp (epoch ms) of the newest scored event; NaN before the first. */
  lastEventMs: number;
  /** The stream's learned event cadence in ms; NaN until the pipeline reports one. */
  cadenceMs: number;
  /** Kind of each open episode, by alert id. */
  openEpisodes: Map<string, string>;
  /** Every kind that has had an episode on the stream: their series stay, at 0, once the episodes close. */
  episodeKinds: Set<string>;
}

interface StreamState extends ActivityState {
  /** Beyond the label cap: shown only through `__other__`. */
  folded: boolean;
}

/**
 * What a stream without any episode shares (most streams never have one): an empty Map and Set
 * each cost ~150 bytes a stream. Replaced by the stream's own at its first alert, never written.
 */
const NO_OPEN_EPISODES: Map<string, string> = new Map();
const NO_EPISODE_KINDS: Set<string> = new Set();

/**
 * Per-stream reporting activity and open alert episodes, behind the same label cap as the other
 * per-stream series. Unlike those, a stream's activity is forgotten when the pipeline drops the
 * stream (its partition was revoked): another instance now receives its events, and a frozen
 * last-event timestamp here would read as a silent source.
 */
export class StreamActivity {
  private readonly streams = new Map<string, StreamState>();
  private foldedCount = 0;
  private scrapeView: ActivityState | undefined;

  constructor(
    private readonly labeler: StreamLabeler,
    private readonly now: () => number = Date.now,
  ) {}

  observeWindow(w: ScoredWindow): void {
    const s = this.state(w.stream);
    if (!(s.lastEventMs >= w.ts)) s.lastEventMs = w.ts;
    if (w.cadenceMs !== undefined) s.cadenceMs = w.cadenceMs;
  }

  /** Alerts without a kind (schema version 1) count as `anomaly`. */
  observeAlert(a: Alert): void {
    const s = this.state(a.stream);
    const kind = a.kind;
    if (s.episodeKinds === NO_EPISODE_KINDS) s.episodeKinds = new Set();
    if (s.openEpisodes === NO_OPEN_EPISODES) s.openEpisodes = new Map();
    s.episodeKinds.add(kind);
    if (a.state === 'resolved') s.openEpisodes.delete(a.alertId);
    else s.openEpisodes.set(a.alertId, kind);
  }

  drop(predicate: (stream: string) => boolean): void {
    for (const [stream, s] of this.streams) {
      if (!predicate(stream)) continue;
      this.streams.delete(stream);
      if (s.folded) this.foldedCount--;
    }
    this.scrapeView = undefined;
  }

  /**
   * Each labelled stream's state, then `__other__`'s (if any stream is folded). `__other__` carries
   * the timestamp and cadence of the folded stream most overdue at scrape time, in cadences, so a
   * rule of the form `time() - timestamp > k * cadence` fires for it whenever it would fire for any
   * folded stream; its episodes are those of every folded stream.
   */
  forEachStream(fn: (stream: string, s: ActivityState) => void): void {
    for (const [stream, s] of this.streams) if (!s.folded) fn(stream, s);
    const other = this.foldedView();
    if (other !== undefined) fn(OTHER_STREAM, other);
  }

  private state(stream: string): StreamState {
    let s = this.streams.get(stream);
    if (s === undefined) {
      const folded = this.labeler.label(stream) === OTHER_STREAM;
      s = { lastEventMs: NaN, cadenceMs: NaN, openEpisodes: NO_OPEN_EPISODES, episodeKinds: NO_EPISODE_KINDS, folded };
      this.streams.set(stream, s);
      if (folded) this.foldedCount++;
    }
    return s;
  }

  private foldedView(): ActivityState | undefined {
    if (this.foldedCount === 0) return undefined;
    if (this.scrapeView === undefined) {
      this.scrapeView = this.summarizeFolded(this.now());
      // prom-client runs every collect hook of one scrape in a single synchronous pass, so all the
      // gauges of that scrape see the same folded stream; the next scrape picks afresh.
      queueMicrotask(() => (this.scrapeView = undefined));
    }
    return this.scrapeView;
  }

  private summarizeFolded(nowMs: number): ActivityState {
    const view: ActivityState = { lastEventMs: NaN, cadenceMs: NaN, openEpisodes: new Map(), episodeKinds: new Set() };
    let mostOverdue: ActivityState | undefined;
    let worst = -Infinity;
    let oldest: ActivityState | undefined;
    for (const s of this.streams.values()) {
      if (!s.folded) continue;
      for (const k of s.episodeKinds) view.episodeKinds.add(k);
      for (const [id, k] of s.openEpisodes) view.openEpisodes.set(id, k);
      if (Number.isNaN(s.lastEventMs)) continue;
      if (oldest === undefined || s.lastEventMs < oldest.lastEventMs) oldest = s;
      if (s.cadenceMs > 0) {
        const overdue = (nowMs - s.lastEventMs) / s.cadenceMs;
        if (overdue > worst) {
          worst = overdue;
          mostOverdue = s;
        }
      }
    }
    // Without any learned cadence, the oldest newest-event is the best hint of a silent source.
    const chosen = mostOverdue ?? oldest;
    if (chosen !== undefined) {
      view.lastEventMs = chosen.lastEventMs;
      view.cadenceMs = chosen.cadenceMs;
    }
    return view;
  }
}
