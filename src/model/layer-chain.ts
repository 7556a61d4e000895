import type * as tf from '@tensorflow/tfjs';
import type { ModelMetadata } from './types.js';

/** Thrown while compiling a model to another form when a layer or setting is not covered. */
export class Unsupported extends Error {}

/**
 * The layers of an autoencoder over [seqStep, features] windows that is one chain (each layer fed by
 * the one before, one input, one output, both shaped like a window), or why it is not.
 */
export function chainOf(model: tf.LayersModel, meta: Pick<ModelMetadata, 'seqStep' | 'features'>): { layers: tf.layers.Layer[] } | { unsupported: string } {
  const inShape = model.inputs[0]?.shape;
  const outShape = model.outputs[0]?.shape;
  const window = `[${meta.seqStep}, ${meta.features}]`;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return { unsupported: `${model.inputs.length} inputs, ${model.outputs.length} outputs` };
  if (!inShape || !outShape || inShape.length !== 3 || outShape.length !== 3) return { unsupported: 'input or output is not a sequence of windows' };
  if (inShape[1] !== meta.seqStep || inShape[2] !== meta.features || outShape[1] !== meta.seqStep || outShape[2] !== meta.features) {
    return { unsupported: `input ${JSON.stringify(inShape)} / output ${JSON.stringify(outShape)} are not windows of ${window}` };
  }
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  for (let i = 0; i < layers.length; i++) {
    const nodes = layers[i].inboundNodes;
    if (nodes.length !== 1 || nodes[0].inboundLayers.length !== 1) return { unsupported: `layer ${layers[i].name} is not fed by exactly one layer` };
    const from = nodes[0].inboundLayers[0];
    const expected = i === 0 ? null : layers[i - 1];
    if (expected ? from !== expected : from.getClassName() !== 'InputLayer') return { unsupported: `layer ${layers[i].name} is not fed by the layer before it` };
  }
  if (layers.length === 0 || model.outputs[0].sourceLayer !== layers[layers.length - 1]) return { unsupported: 'the output is not the last layer' };
  return { layers };
}

export function unsupported(why: string): never {
  throw new Unsupported(why);
}

/**
 * How a forward route builds each layer kind it covers, on its own values (tensors, or nodes of a
 * graph); which layers exist and what each may follow is `stageOf`'s, shared by every route.
 */
export interface StageBuilders<V extends { kind: string }> {
  gru(layer: tf.layers.Layer): (v: V) => V;
  lstm(layer: tf.layers.Layer): (v: V) => V;
  /** A Dense layer, over a vector or (TimeDistributed, or Dense on a sequence) every step of a sequence. */
  dense(layer: tf.layers.Layer): (v: V) => V;
  /** RepeatVector: the vector `v`, `n` times. */
  repeat(v: V, n: number): V;
  /** Flatten of a sequence. */
  flatten(v: V): V;
  /** Reshape to [steps, features]. */
  reshape(v: V, steps: number, features: number): V;
}

/** The stage of `layer` (null: it does nothing at inference), or Unsupported. */
export function stageOf<V extends { kind: string }>(layer: tf.layers.Layer, build: StageBuilders<V>): ((v: V) => V) | null {
  switch (layer.getClassName()) {
    case 'InputLayer':
    case 'Dropout':
      return null;
    case 'GRU':
      return build.gru(layer);
    case 'LSTM':
      return build.lstm(layer);
    case 'Dense':
      return build.dense(layer);
    case 'TimeDistributed': {
      const inner = (layer as unknown as { layer: tf.layers.Layer }).layer;
      if (inner.getClassName() !== 'Dense') unsupported(`TimeDistributed(${inner.getClassName()})`);
      const dense = build.dense(inner);
      return (v) => (v.kind === 'vector' ? unsupported('TimeDistributed over a vector') : dense(v));
    }
    case 'RepeatVector': {
      const n = (layer.getConfig() as { n: number }).n;
      return (v) => (v.kind === 'vector' ? build.repeat(v, n) : unsupported('RepeatVector over a sequence'));
    }
    case 'Flatten':
      return (v) => (v.kind === 'vector' ? v : build.flatten(v));
    case 'Reshape': {
      const target = (layer.getConfig() as { targetShape: number[] }).targetShape;
      if (target.length !== 2 || target.some((d) => !(d > 0))) unsupported(`Reshape to ${JSON.stringify(target)}`);
      return (v) => build.reshape(v, target[0], target[1]);
    }
    default:
      return unsupported(`layer ${layer.getClassName()}`);
  }
}

export interface RecurrentConfig {
  units: number;
  activation?: unknown;
  recurrentActivation?: unknown;
  useBias?: boolean;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  stateful?: boolean;
}

/**
 * A GRU's or LSTM's settings and weights (`gates` blocks of `units` columns), or Unsupported for a
 * setting no route covers; a layer without bias has none here.
 */
export function recurrentLayer(layer: tf.layers.Layer, gates: number) {
  const config = layer.getConfig() as unknown as RecurrentConfig;
  if (config.returnState) unsupported(`${layer.name}: returnState`);
  if (config.goBackwards) unsupported(`${layer.name}: goBackwards`);
  if (config.stateful) unsupported(`${layer.name}: stateful`);
  const weights = layer.getWeights();
  const useBias = config.useBias ?? true;
  if (weights.length !== (useBias ? 3 : 2)) unsupported(`${layer.name}: ${weights.length} weight tensors`);
  const [kernel, recurrent, bias] = weights as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D | undefined];
  const units = config.units;
  if (recurrent.shape[0] !== units || recurrent.shape[1] !== gates * units || kernel.shape[1] !== gates * units) {
    unsupported(`${layer.name}: weight shapes ${kernel.shape} / ${recurrent.shape}`);
  }
  return { config, units, kernel, recurrent, bias };
}
