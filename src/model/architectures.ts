import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from './types.js';

export interface ArchitectureOptions {
  kind: ModelKind;
  seqStep: number;
  features: number;
  /** Recurrent units (gru/lstm) or width of the first dense layer (dense). */
  units: number;
  /** Seeds every weight initializer; null/undefined draws fresh random weights. */
  seed?: number | null;
  learningRate?: number;
}

/** Hands out one initializer seed per weight matrix, derived from the model seed. */
function seeder(seed: number | null | undefined) {
  let n = 0;
  return () => (seed === null || seed === undefined ? undefined : (seed * 1009 + ++n * 7919) % 2_147_483_647);
}

/**
 * Builds and compiles an autoencoder over windows shaped [seqStep, features]:
 * - gru / lstm: recurrent encoder (relu) → RepeatVector(seqStep) → recurrent decoder (relu, sequences) → TimeDistributed(Dense(features))
 * - dense: Flatten → Dense(units) → Dense(units/2) bottleneck → Dense(units) → Dense(seqStep·features) → Reshape
 * Recurrent kernels use Glorot-uniform instead of Keras' orthogonal default: tfjs computes the orthogonal
 * matrix with a QR decomposition that is slow and warns for large units, and it trains as well here.
 */
export function buildAutoencoder(opts: ArchitectureOptions): tf.LayersModel {
  const { kind, seqStep, features, units } = opts;
  if (!Number.isInteger(seqStep) || seqStep < 1) throw new Error(`seqStep must be a positive integer, got ${seqStep}`);
  if (!Number.isInteger(features) || features < 1) throw new Error(`features must be a positive integer, got ${features}`);
  if (!Number.isInteger(units) || units < 1) throw new Error(`units must be a positive integer, got ${units}`);
  const next = seeder(opts.seed);
  const glorot = () => tf.initializers.glorotUniform({ seed: next() });
  const model = tf.sequential({ name: `${kind}_autoencoder` });

  if (kind === 'gru' || kind === 'lstm') {
    const recurrent = kind === 'gru' ? tf.layers.gru : tf.layers.lstm;
    const common = { units, activation: 'relu' as const };
    model.add(
      recurrent({
        ...common,
        inputShape: [seqStep, features],
        kernelInitializer: glorot(),
        recurrentInitializer: glorot(),
        name: 'encoder',
      }),
    );
    model.add(tf.layers.repeatVector({ n: seqStep, name: 'repeat' }));
    model.add(
      recurrent({ ...common, returnSequences: true, kernelInitializer: glorot(), recurrentInitializer: glorot(), name: 'decoder' }),
    );
    model.add(
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: features, kernelInitializer: glorot(), name: 'output_dense' }), name: 'output' }),
    );
  } else if (kind === 'dense') {
    const bottleneck = Math.max(1, Math.floor(units / 2));
    model.add(tf.layers.flatten({ inputShape: [seqStep, features], name: 'flatten' }));
    model.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: glorot(), name: 'encoder' }));
    model.add(tf.layers.dense({ units: bottleneck, activation: 'relu', kernelInitializer: glorot(), name: 'bottleneck' }));
    model.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: glorot(), name: 'decoder' }));
    model.add(tf.layers.dense({ units: seqStep * features, kernelInitializer: glorot(), name: 'output' }));
    model.add(tf.layers.reshape({ targetShape: [seqStep, features], name: 'reshape' }));
  } else {
    throw new Error(`unknown model kind "${kind as string}" (expected gru, lstm or dense)`);
  }
  model.compile({ loss: 'meanSquaredError', optimizer: tf.train.adam(opts.learningRate ?? 0.001) });
  return model;
}
