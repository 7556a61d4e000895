import { createScoringModel } from '../../model/scorer.js';
import { trainModel } from '../../model/train.js';
import type { ModelKind, ScalerKind } from '../../model/types.js';
import { toPipelineModel } from '../../pipeline/load-models.js';
import type { PipelineModel } from '../../pipeline/scoring-model.js';

export interface FileModelOptions {
  kind: ModelKind;
  seqStep: number;
  units: number;
  epochs: number;
  patience: number;
  batchSize: number;
  scaler: ScalerKind;
  seed: number;
  /** Denoising: standard deviation of the Gaussian noise added to the scaled training inputs. */
  noise: number;
  /** Calendar features appended to the value (src/pipeline/feature-augment.ts). */
  timeOfDay: boolean;
  dayOfWeek: boolean;
}

/**
 * Trains a small autoencoder, in memory, on the given rows of one file (the file's
 * probationary period) and wraps it for the scoring pipeline. The scaler is fitted on the same rows.
 */
export async function trainFileModel(name: string, rows: readonly number[], timestamps: readonly number[], backend: string, o: FileModelOptions): Promise<{ model: PipelineModel; dispose: () => void; epochs: number }> {
  const { model, meta, history } = await trainModel({
    input: { file: name, columns: ['value'], rows: rows.map((v) => [v]), timestamps: [...timestamps] },
    kind: o.kind,
    seqStep: o.seqStep,
    units: o.units,
    epochs: o.epochs,
    patience: o.patience,
    batchSize: o.batchSize,
    scaler: o.scaler,
    seed: o.seed,
    noise: o.noise,
    augment: o.timeOfDay || o.dayOfWeek ? { timeOfDay: o.timeOfDay, dayOfWeek: o.dayOfWeek } : undefined,
    validationSplit: 0.1,
    // Thresholds are chosen per NAB profile afterwards; a flat training period would calibrate to 0, which training rejects.
    threshold: { method: 'fixed', value: Number.MAX_VALUE },
  });
  const scoring = createScoringModel(name, '(in memory)', model, meta);
  return { model: toPipelineModel(scoring, backend), dispose: () => scoring.dispose(), epochs: history.loss.length };
}
