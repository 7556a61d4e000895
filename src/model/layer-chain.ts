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
