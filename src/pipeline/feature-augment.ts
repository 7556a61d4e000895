import type { FeatureAugment, ScalerParams } from '../model/types.js';
import type { MetricEvent, Rejected } from './types.js';

/*
 * Calendar features appended to every event's values before windowing, so an autoencoder can tell
 * a value that is normal at 3 pm from the same value at 3 am. A model trained with them records the
 * augmentation in its metadata (`augment`) and the pipeline applies it to every event of that
 * model's streams. Phases are taken from the event timestamp in UTC.
 */
export type { FeatureAugment };

const DAY_MS = 86_400_000;

/** Names of the appended features, in the order they follow the event's own values. */
export function augmentedFeatureNames(spec: FeatureAugment | undefined): string[] {
  const names: string[] = [];
  if (spec?.timeOfDay) names.push('time_of_day_sin', 'time_of_day_cos');
  if (spec?.dayOfWeek) names.push('day_of_week_sin', 'day_of_week_cos');
  return names;
}

/** How many values the augmentation appends. */
export function augmentedFeatureCount(spec: FeatureAugment | undefined): number {
  return augmentedFeatureNames(spec).length;
}

/** Fraction of the UTC day elapsed at `ts` (epoch ms), in [0, 1). */
export function dayPhase(ts: number): number {
  return (((ts % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS;
}

/** Fraction of the UTC week (from Monday 00:00) elapsed at `ts`, in [0, 1). 1970-01-01 was a Thursday. */
export function weekPhase(ts: number): number {
  const day = Math.floor(ts / DAY_MS);
  return ((((day + 3) % 7) + 7) % 7 + dayPhase(ts)) / 7;
}

/** `values` followed by the calendar features of `ts`; each feature lies in [0, 1]. */
export function augmentValues(values: readonly number[], ts: number, spec: FeatureAugment): number[] {
  const out = [...values];
  if (spec.timeOfDay) out.push(...circle(dayPhase(ts)));
  if (spec.dayOfWeek) out.push(...circle(weekPhase(ts)));
  return out;
}

function circle(phase: number): [number, number] {
  const angle = 2 * Math.PI * phase;
  return [(1 + Math.sin(angle)) / 2, (1 + Math.cos(angle)) / 2];
}

/**
 * The event with its calendar features appended, or a rejection when it does not carry the
 * `features - added` values the model expects from the stream itself.
 */
export function augmentEvent<S>(event: MetricEvent<S>, spec: FeatureAugment, features: number): MetricEvent<S> | Rejected<S> {
  const own = features - augmentedFeatureCount(spec);
  if (event.values.length !== own) {
    return {
      reason: 'wrong_feature_count',
      detail: `expected ${own} value(s) (the model adds ${features - own} calendar feature(s)), got ${event.values.length}`,
      stream: event.stream,
      source: event.source,
    };
  }
  return { ...event, values: augmentValues(event.values, event.ts, spec) };
}

/**
 * Scaler parameters with the calendar features' entries fixed to their known range instead of the
 * range seen in training (a training period shorter than a day or a week would otherwise stretch
 * a partial cycle over the whole scale). The calendar features are the last ones.
 */
export function withCalendarScaling(params: ScalerParams, spec: FeatureAugment): ScalerParams {
  const added = augmentedFeatureCount(spec);
  const a = [...params.a];
  const b = [...params.b];
  for (let f = a.length - added; f < a.length; f++) {
    if (params.kind === 'zscore') {
      // Mean and standard deviation of (1 + sin θ)/2 over a uniform phase.
      a[f] = 0.5;
      b[f] = 0.5 / Math.SQRT2;
    } else {
      a[f] = 0;
      b[f] = params.kind === 'log1p' ? Math.log1p(1) : 1;
    }
  }
  return { kind: params.kind, a, b };
}

/**
 * Mean squared reconstruction error, in scaled units, over the first `own` features of each step
 * (the stream's own values), leaving out the calendar features that follow them. `values` and
 * `reconstruction` are raw, row-major [seqStep][features]; `scale` maps raw to scaled.
 */
export function ownFeatureError(
  values: Float32Array,
  reconstruction: Float32Array,
  features: number,
  own: number,
  scale: (raw: Float32Array, out: Float32Array, offset: number) => void,
): number {
  const a = new Float32Array(values.length);
  const b = new Float32Array(reconstruction.length);
  scale(values, a, 0);
  scale(reconstruction, b, 0);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += features) {
    for (let f = 0; f < own; f++, n++) sum += (a[i + f] - b[i + f]) ** 2;
  }
  return sum / n;
}
