import * as tf from '@tensorflow/tfjs';
import { chainOf, recurrentLayer, stageOf, unsupported, Unsupported, type StageBuilders } from './layer-chain.js';
import type { ModelMetadata } from './types.js';

/**
 * The forward pass of a LayersModel as a few large tf core ops. tfjs-layers runs a recurrent layer
 * step by step in JS (and TimeDistributed the same way), ~470 small ops per predict for the
 * reference GRU autoencoder; each op has a fixed cost (~15–25 µs on tfjs-node) that dominates at the
 * batch sizes the daemon scores. Here:
 * - a recurrent layer projects the inputs of all its time steps with one matMul (the decoder's input
 *   is a repeated vector: projected once), then runs each step with one matMul for the z and r gates
 *   (GRU; a second one for the candidate) or all four gates (LSTM), each gate activation applied once
 *   to all the gates that share it;
 * - the first step of a layer starts from the zero state, so its recurrent terms are left out;
 * - a (time-distributed) dense layer over a sequence is one matMul over all steps.
 *
 * It computes what `model.predict` computes, in the same formulation as tfjs-layers (GRU: gate order
 * z, r, h, the reset gate applied to the state before the recurrent matMul as in Keras'
 * reset_after=False, h = z·h' + (1 − z)·candidate; LSTM: gate order i, f, c, o, bias added after both
 * matMuls) and the same order of float operations, so the outputs agree to the last bit or within a
 * few ulps. The weights are copied when compiled: recompile after changing them.
 */
export interface FusedForward {
  (input: tf.Tensor3D): tf.Tensor3D;
  /** Releases the copied weights. */
  dispose(): void;
}

type Activation = (x: tf.Tensor2D) => tf.Tensor2D;
type FusableName = 'linear' | 'relu' | 'sigmoid';

/** Scalar operands made once per compiled model (a number operand costs a tensor upload per op). */
interface Scalars {
  zero: tf.Scalar;
  one: tf.Scalar;
  half: tf.Scalar;
  fifth: tf.Scalar;
}

/** Activation names as tfjs serialises them (camelCase) or Keras JSON spells them. */
function activations(s: Scalars): Record<string, { fn: Activation; fused?: FusableName }> {
  // As tfjs-layers' K.hardSigmoid: clip(0.5 + 0.2·x, 0, 1), in that order.
  // tfjs-node runs clipByValue as max(min(x, hi), lo) with two fresh scalar tensors; the same ops
  // with kept scalars skip those uploads. Other backends have a clip kernel of their own.
  const clip01: Activation = tf.getBackend() === 'tensorflow' ? (x) => tf.maximum(tf.minimum(x, s.one), s.zero) : (x) => tf.clipByValue(x, 0, 1);
  const hardSigmoid: Activation = (x) => clip01(tf.add(s.half, tf.mul(s.fifth, x)));
  return {
    linear: { fn: (x) => x, fused: 'linear' },
    relu: { fn: (x) => tf.relu(x), fused: 'relu' },
    sigmoid: { fn: (x) => tf.sigmoid(x), fused: 'sigmoid' },
    tanh: { fn: (x) => tf.tanh(x) },
    hardSigmoid: { fn: hardSigmoid },
    hard_sigmoid: { fn: hardSigmoid },
  };
}

/**
 * A value flowing between layers, B = batch size:
 * - vector: [B, F];
 * - repeated: the vector [B, F] at each of `steps` time steps (RepeatVector, not materialised);
 * - packed: [B, T, F] (the model's input and output layout);
 * - timeMajor: [T·B, F], step t in rows t·B … t·B+B-1 (what a recurrent layer's steps concatenate to).
 */
type Value =
  | { kind: 'vector'; t: tf.Tensor2D }
  | { kind: 'repeated'; t: tf.Tensor2D; steps: number }
  | { kind: 'packed'; t: tf.Tensor3D }
  | { kind: 'timeMajor'; t: tf.Tensor2D; steps: number };

type Stage = (v: Value) => Value;

function activationOf(name: unknown, k: Constants): { fn: Activation; fused?: FusableName } {
  const a = typeof name === 'string' ? Object.hasOwn(k.activations, name) ? k.activations[name] : undefined : name == null ? k.activations.linear : undefined;
  return a ?? unsupported(`activation ${String(name)}`);
}

function toTimeMajor(v: Value): tf.Tensor2D {
  switch (v.kind) {
    case 'timeMajor':
      return v.t;
    case 'packed': {
      const [b, steps, f] = v.t.shape;
      return tf.reshape(tf.transpose(v.t, [1, 0, 2]), [steps * b, f]);
    }
    case 'repeated':
      return tf.tile(v.t, [v.steps, 1]);
    case 'vector':
      return unsupported('a sequence layer after a layer that returns a vector');
  }
}

function toPacked(v: Value): tf.Tensor3D {
  switch (v.kind) {
    case 'packed':
      return v.t;
    case 'timeMajor': {
      const [rows, f] = v.t.shape;
      return tf.transpose(tf.reshape(v.t, [v.steps, rows / v.steps, f]), [1, 0, 2]);
    }
    case 'repeated':
      return tf.tile(tf.expandDims(v.t, 1), [1, v.steps, 1]);
    case 'vector':
      return unsupported('a model whose output is not a sequence');
  }
}

function stepsOf(v: Value): number {
  if (v.kind === 'repeated' || v.kind === 'timeMajor') return v.steps;
  if (v.kind === 'packed') return v.t.shape[1];
  return unsupported('a recurrent layer over a vector');
}

/** x·W + b with the activation; one fused op where the backend has one. */
function affine(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null, act: { fn: Activation; fused?: FusableName }): tf.Tensor2D {
  if (act.fused) return tf.fused.matMul({ a: x, b: w, bias: b ?? undefined, activation: act.fused }) as tf.Tensor2D;
  return act.fn(b ? tf.add(tf.matMul(x, w), b) : tf.matMul(x, w));
}

/** Holds the tensors a compiled model keeps, so they can be released together. */
class Constants {
  readonly all: tf.Tensor[] = [];
  readonly scalars: Scalars = { zero: this.keep(tf.scalar(0)), one: this.keep(tf.scalar(1)), half: this.keep(tf.scalar(0.5)), fifth: this.keep(tf.scalar(0.2)) };
  readonly activations = activations(this.scalars);
  keep<T extends tf.Tensor>(t: T): T {
    this.all.push(tf.keep(t));
    return t;
  }
}

function recurrentParts(layer: tf.layers.Layer, gates: number, k: Constants) {
  const { config, units, kernel, recurrent, bias } = recurrentLayer(layer, gates);
  return {
    units,
    kernel,
    recurrent,
    bias: bias ?? tf.zeros([gates * units]).as1D(),
    activation: activationOf(config.activation ?? 'tanh', k),
    recurrentActivation: activationOf(config.recurrentActivation ?? 'hardSigmoid', k),
    returnSequences: config.returnSequences ?? false,
  };
}

/** Columns [from, to) of a [rows, cols] matrix, or elements of a vector. */
function cols<T extends tf.Tensor1D | tf.Tensor2D>(m: T, from: number, to: number): T {
  return (m.rank === 1 ? tf.slice(m, [from], [to - from]) : tf.slice(m, [0, from], [m.shape[0], to - from])) as T;
}

/**
 * Per-step input projections x·W (+ b), split into column groups of the given widths: for each step,
 * one [B, width] tensor per group. A repeated input is projected (and split) once for all steps;
 * otherwise all steps are projected in one [T·B, G] matMul. The bias is added after the matMul, not
 * fused into it, as the recurrent cells do (a fused kernel may start its sums from the bias).
 */
function projectInputs(v: Value, w: tf.Tensor2D, b: tf.Tensor1D | null, widths: number[]): tf.Tensor2D[][] {
  const steps = stepsOf(v);
  const project = (x: tf.Tensor2D): tf.Tensor2D => (b ? tf.add(tf.matMul(x, w), b) : tf.matMul(x, w));
  const all = project(v.kind === 'repeated' ? v.t : toTimeMajor(v));
  const groups: tf.Tensor2D[] = widths.length === 1 ? [all] : tf.split(all, widths, 1);
  const perGroup = groups.map((g) => (v.kind === 'repeated' ? Array<tf.Tensor2D>(steps).fill(g) : steps === 1 ? [g] : tf.split<tf.Tensor2D>(g, steps, 0)));
  return Array.from({ length: steps }, (_, t) => perGroup.map((g) => g[t]));
}

function sequenceOut(hs: tf.Tensor2D[], returnSequences: boolean): Value {
  if (!returnSequences) return { kind: 'vector', t: hs[hs.length - 1] };
  return { kind: 'timeMajor', t: hs.length === 1 ? hs[0] : tf.concat(hs, 0), steps: hs.length };
}

/*
 * The cells below repeat tfjs-layers' GRUCell / LSTMCell arithmetic element for element, in the same
 * order, so the results match model.predict to the last bit or nearly (only the matMuls are shaped
 * differently). Where the state is zero (each layer's first step) the terms that are exactly zero are
 * left out: x + 0 = x and 0 + y = y in floating point.
 */

function gruStage(layer: tf.layers.Layer, k: Constants): Stage {
  const p = recurrentParts(layer, 3, k);
  const u = p.units;
  const gate = p.recurrentActivation.fn;
  const act = p.activation.fn;
  const w = k.keep(p.kernel.clone());
  const b = k.keep(p.bias.clone());
  // z and r share one matMul; h has its own because r multiplies the state before it.
  const rZr = k.keep(cols(p.recurrent, 0, 2 * u));
  const rH = k.keep(cols(p.recurrent, 2 * u, 3 * u));
  return (v) => {
    const x = projectInputs(v, w, b, [2 * u, u]);
    const hs: tf.Tensor2D[] = [];
    let h: tf.Tensor2D | null = null;
    for (const [xZr, xH] of x) {
      const [z, r] = tf.split(gate(h ? tf.add(xZr, tf.matMul(h, rZr)) : xZr), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const cand = act(h ? tf.add(xH, tf.matMul(tf.mul(r, h), rH)) : xH);
      const keep: tf.Tensor2D = tf.mul(tf.sub(k.scalars.one, z), cand);
      const hNext: tf.Tensor2D = h ? tf.add(tf.mul(z, h), keep) : keep;
      h = hNext;
      hs.push(h);
    }
    return sequenceOut(hs, p.returnSequences);
  };
}

function lstmStage(layer: tf.layers.Layer, k: Constants): Stage {
  const p = recurrentParts(layer, 4, k);
  const u = p.units;
  const gate = p.recurrentActivation.fn;
  const act = p.activation.fn;
  // Columns reordered to i, f, o | c, so the three gates take one activation per step.
  const gatesFirst = <T extends tf.Tensor1D | tf.Tensor2D>(m: T): T => tf.concat([cols(m, 0, 2 * u), cols(m, 3 * u, 4 * u), cols(m, 2 * u, 3 * u)], -1) as T;
  const w = k.keep(gatesFirst(p.kernel));
  const b = k.keep(gatesFirst(p.bias));
  const r = k.keep(gatesFirst(p.recurrent));
  return (v) => {
    // LSTMCell adds the bias after both matMuls: (x·W + h·R) + b.
    const x = projectInputs(v, w, null, [4 * u]);
    const hs: tf.Tensor2D[] = [];
    let h: tf.Tensor2D | null = null;
    let c: tf.Tensor2D | null = null;
    for (const [xt] of x) {
      const pre = tf.add(h ? tf.add(xt, tf.matMul(h, r)) : xt, b);
      const [ifoPre, cPre] = tf.split(pre, [3 * u, u], 1) as [tf.Tensor2D, tf.Tensor2D];
      const [i, f, o] = tf.split(gate(ifoPre), 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const ic: tf.Tensor2D = tf.mul(i, act(cPre));
      const cNext: tf.Tensor2D = c ? tf.add(tf.mul(f, c), ic) : ic;
      c = cNext;
      h = tf.mul(o, act(cNext));
      hs.push(h);
    }
    return sequenceOut(hs, p.returnSequences);
  };
}

function denseStage(layer: tf.layers.Layer, k: Constants): Stage {
  const config = layer.getConfig() as { activation?: unknown; useBias?: boolean };
  const weights = layer.getWeights();
  const useBias = config.useBias ?? true;
  if (weights.length !== (useBias ? 2 : 1)) unsupported(`${layer.name}: ${weights.length} weight tensors`);
  const w = k.keep(weights[0].clone() as tf.Tensor2D);
  const b = useBias ? k.keep(weights[1].clone() as tf.Tensor1D) : null;
  const act = activationOf(config.activation ?? 'linear', k);
  return (v) => {
    switch (v.kind) {
      case 'vector':
        return { kind: 'vector', t: affine(v.t, w, b, act) };
      case 'repeated':
        return { kind: 'repeated', t: affine(v.t, w, b, act), steps: v.steps };
      default:
        return { kind: 'timeMajor', t: affine(toTimeMajor(v), w, b, act), steps: stepsOf(v) };
    }
  };
}

function buildersOf(k: Constants): StageBuilders<Value> {
  return {
    gru: (layer) => gruStage(layer, k),
    lstm: (layer) => lstmStage(layer, k),
    dense: (layer) => denseStage(layer, k),
    repeat: (v, n) => (v.kind === 'vector' ? { kind: 'repeated', t: v.t, steps: n } : unsupported('RepeatVector over a sequence')),
    flatten: (v) => {
      if (v.kind === 'vector') return v;
      const p = toPacked(v);
      return { kind: 'vector', t: tf.reshape(p, [p.shape[0], p.shape[1] * p.shape[2]]) };
    },
    reshape: (v, steps, features) => {
      const flat = v.kind === 'vector' ? v.t : toPacked(v);
      return { kind: 'packed', t: tf.reshape(flat, [flat.shape[0], steps, features]) };
    },
  };
}

/**
 * Compiles `model` (an autoencoder over [seqStep, features] windows) to a FusedForward, or returns
 * null when it has a layer or setting not covered here; callers then use `model.predict`.
 */
export function compileForward(model: tf.LayersModel, meta: Pick<ModelMetadata, 'seqStep' | 'features'>): FusedForward | null {
  const chain = chainOf(model, meta);
  if ('unsupported' in chain) return null;
  const k = new Constants();
  const stages: Stage[] = [];
  try {
    // Temporaries of the weight preparation are released here; Constants keeps what the stages use.
    tf.tidy(() => {
      const builders = buildersOf(k);
      for (const layer of chain.layers) {
        const stage = stageOf(layer, builders);
        if (stage) stages.push(stage);
      }
    });
  } catch (err) {
    tf.dispose(k.all);
    if (err instanceof Unsupported) return null;
    throw err;
  }
  let disposed = false;
  const forward = (input: tf.Tensor3D): tf.Tensor3D => {
    if (disposed) throw new Error('the compiled forward pass was disposed');
    return tf.tidy(() => {
      let v: Value = { kind: 'packed', t: input };
      for (const stage of stages) v = stage(v);
      const out = toPacked(v);
      // Returned as a tensor of its own so the caller may dispose it without touching the input.
      return out === input ? tf.clone(out) : out;
    });
  };
  return Object.assign(forward, {
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose(k.all);
    },
  });
}
