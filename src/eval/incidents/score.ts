/**
 * Scores alert episodes against labelled incidents of many streams, with the rules of socbench's README
 * (and exactly the arithmetic of `socbench.py score`):
 *
 * - Only episode opens count, each by its stream and start time.
 * - A labelled range [start, end] (inclusive) is found when an open of its stream has start ≤ t ≤ end + 3 cadences;
 *   a `shift` is long and must be caught near its onset, so its end is taken as min(end, start + 48 cadences) here.
 * - An open at or after warm-up that falls in no labelled range of its stream (whole range, same tolerance) is a
 *   false alarm; false alarms per stream-day = false alarms / (labelled streams × days from warm-up end to end).
 *   Opens before warm-up and opens on streams the labels do not list are neither.
 * - Delay of a found range = (its first hitting open − its start) in cadences; the median is the element at
 *   ⌊n/2⌋ of the sorted delays (the upper median for an even count, as socbench.py takes it).
 */

/** The kinds socbench labels, in its report order; any other kind a labels file uses is reported after them. */
export const INCIDENT_KINDS = ['spike', 'drop', 'zero', 'silence', 'shift', 'flat'] as const;

/** An open after the end of a range still counts for it up to this many cadences later. */
export const TOLERANCE_CADENCES = 3;
/** A shift counts as found only when caught within this many cadences of its start (its first day at 30 minutes). */
export const SHIFT_WINDOW_CADENCES = 48;

export interface LabelledRange {
  kind: string;
  /** Epoch ms, inclusive. */
  start: number;
  end: number;
}

export interface IncidentLabels {
  cadenceSeconds: number;
  /** Epoch ms. */
  start: number;
  end: number;
  warmupEnd: number;
  /** Every stream of the benchmark, with its labelled ranges (empty: a clean stream). */
  streams: ReadonlyMap<string, readonly LabelledRange[]>;
}

/** An alert episode's open: its stream and start time (epoch ms). */
export interface EpisodeOpen {
  stream: string;
  startTs: number;
  alertId?: string;
}

export interface ScoredIncident extends LabelledRange {
  stream: string;
  found: boolean;
  /** Cadences from the range's start to the first open that found it. */
  delay: number | null;
  /** Start of that open (epoch ms). */
  foundBy: number | null;
}

export interface IncidentScore {
  recall: number | null;
  found: number;
  labelled: number;
  byKind: Record<string, number | null>;
  /** [found, labelled] per kind. */
  byKindCounts: Record<string, [number, number]>;
  falsePerStreamDay: number;
  falseEpisodes: number;
  streamDays: number;
  medianDelayPoints: number | null;
  /** Every labelled range with its outcome, in label order. */
  incidents: ScoredIncident[];
  /** The opens counted as false alarms, by stream in the labels' order, then as given. */
  falseAlarms: EpisodeOpen[];
  /** Opens on streams the labels do not list: not scored (neither found nor false). */
  unlabelledStreamOpens: number;
}

export function scoreIncidents(labels: IncidentLabels, opens: readonly EpisodeOpen[]): IncidentScore {
  const step = labels.cadenceSeconds * 1000;
  const tolerance = TOLERANCE_CADENCES * step;
  const byStream = new Map<string, EpisodeOpen[]>();
  let unlabelledStreamOpens = 0;
  for (const o of opens) {
    if (!labels.streams.has(o.stream)) {
      unlabelledStreamOpens++;
      continue;
    }
    const list = byStream.get(o.stream);
    if (list) list.push(o);
    else byStream.set(o.stream, [o]);
  }

  const counts: Record<string, [number, number]> = Object.fromEntries(INCIDENT_KINDS.map((k) => [k, [0, 0]]));
  const incidents: ScoredIncident[] = [];
  const falseAlarms: EpisodeOpen[] = [];
  const delays: number[] = [];
  for (const [stream, ranges] of labels.streams) {
    const streamOpens = byStream.get(stream) ?? [];
    for (const r of ranges) {
      const windowEnd = r.kind === 'shift' ? Math.min(r.end, r.start + SHIFT_WINDOW_CADENCES * step) : r.end;
      let first: number | null = null;
      for (const o of streamOpens) if (r.start <= o.startTs && o.startTs <= windowEnd + tolerance && (first === null || o.startTs < first)) first = o.startTs;
      counts[r.kind] ??= [0, 0];
      counts[r.kind][1]++;
      const delay = first === null ? null : (first - r.start) / step;
      if (delay !== null) {
        counts[r.kind][0]++;
        delays.push(delay);
      }
      incidents.push({ stream, ...r, found: first !== null, delay, foundBy: first });
    }
    for (const o of streamOpens) {
      if (o.startTs < labels.warmupEnd) continue;
      if (!ranges.some((r) => r.start <= o.startTs && o.startTs <= r.end + tolerance)) falseAlarms.push(o);
    }
  }

  // In socbench.py's order of operations, so the ratio comes out bit for bit the same.
  const streamDays = labels.streams.size * ((labels.end - labels.warmupEnd) / 86_400_000);
  const found = incidents.filter((i) => i.found).length;
  delays.sort((a, b) => a - b);
  return {
    recall: incidents.length > 0 ? found / incidents.length : null,
    found,
    labelled: incidents.length,
    byKind: Object.fromEntries(Object.entries(counts).map(([k, [f, n]]) => [k, n > 0 ? f / n : null])),
    byKindCounts: counts,
    falsePerStreamDay: falseAlarms.length / streamDays,
    falseEpisodes: falseAlarms.length,
    streamDays,
    medianDelayPoints: delays.length > 0 ? delays[Math.floor(delays.length / 2)] : null,
    incidents,
    falseAlarms,
    unlabelledStreamOpens,
  };
}
