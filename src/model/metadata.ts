import { z } from 'zod';
import type { ModelMetadata } from './types.js';

const finite = z.number().refine(Number.isFinite, 'a finite number');
const perFeature = z.array(finite).min(1);

const thresholdMethod = z.discriminatedUnion('method', [
  z.object({ method: z.literal('percentile'), q: z.number().gt(0).max(1) }),
  z.object({ method: z.literal('mean+k*std'), k: z.number().min(0) }),
  z.object({ method: z.literal('max') }),
  z.object({ method: z.literal('fixed'), value: z.number().positive() }),
]);

/** Shape of anomalyd.json, the metadata written beside model.json. */
export const modelMetadataSchema = z
  .object({
    formatVersion: z.literal(1),
    kind: z.enum(['gru', 'lstm', 'dense']),
    seqStep: z.number().int().positive(),
    features: z.number().int().positive(),
    featureNames: z.array(z.string()),
    augment: z.object({ timeOfDay: z.boolean().optional(), dayOfWeek: z.boolean().optional() }).strict().optional(),
    scaler: z.object({ kind: z.enum(['minmax', 'zscore', 'log1p']), a: perFeature, b: perFeature }),
    threshold: z.object({
      value: z.number().positive(),
      calibration: z.intersection(thresholdMethod, z.object({ windows: z.number().int().min(0), source: z.string() })),
    }),
    training: z.object({
      source: z.string(),
      rows: z.number().int().min(0),
      windows: z.number().int().min(0),
      epochs: z.number().int().min(0),
      bestEpoch: z.number().int().min(0).optional(),
      finalLoss: finite,
      finalValLoss: finite.nullable(),
      seed: z.number().int().nullable(),
      units: z.number().int().positive(),
      noise: z.number().min(0).optional(),
      trainedAt: z.string(),
      summary: z.object({ min: z.array(finite), max: z.array(finite), mean: z.array(finite), std: z.array(finite) }),
    }),
  })
  .superRefine((m, ctx) => {
    for (const [path, len] of [
      ['featureNames', m.featureNames.length],
      ['scaler.a', m.scaler.a.length],
      ['scaler.b', m.scaler.b.length],
    ] as const) {
      if (len !== m.features) ctx.addIssue({ code: 'custom', path: path.split('.'), message: `has ${len} entries but features is ${m.features}` });
    }
    const added = (m.augment?.timeOfDay ? 2 : 0) + (m.augment?.dayOfWeek ? 2 : 0);
    if (m.augment !== undefined && (added === 0 || added >= m.features)) {
      ctx.addIssue({ code: 'custom', path: ['augment'], message: `adds ${added} calendar feature(s), which leaves ${m.features - added} of the stream's own (features is ${m.features})` });
    }
  });

/** Validates parsed anomalyd.json; returns the problems as "path: message" lines, or the metadata. */
export function parseModelMetadata(value: unknown): { ok: true; meta: ModelMetadata } | { ok: false; problems: string[] } {
  const r = modelMetadataSchema.safeParse(value);
  if (r.success) return { ok: true, meta: r.data as ModelMetadata };
  return { ok: false, problems: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
}
