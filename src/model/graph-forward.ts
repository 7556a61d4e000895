import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainOf, recurrentLayer, stageOf, unsupported, Unsupported, type StageBuilders } from './layer-chain.js';
import type { ModelMetadata } from './types.js';

/**
 * The forward pass of a LayersModel as one TensorFlow graph, run by the native backend in a single
 * session call. tfjs-node dispatches every op eagerly through N-API (~30 µs each, plus an allocation
 * per result); a GRU autoencoder is ~150 such ops per batch, and at batch 1024 that overhead, not the
 * arithmetic, is most of the time. Here the whole pass is a GraphDef of the same ops, written as a
 * SavedModel (weights as constants, no variables) to a temporary directory and loaded with
 * `tf.node.loadSavedModel`, so TensorFlow's graph runtime executes it: one call from JS, kernels
 * scheduled in C++, buffers reused, Grappler's rewrites applied.
 *
 * The graph holds the arithmetic of fused-forward.ts (itself tfjs-layers' formulation, op for op in
 * the same order), so the outputs equal `model.predict` within float rounding of the matMul kernels
 * (and, for large batches, of XLA's fused program: see compileGraphForward). Only the `tensorflow`
 * backend can run it.
 */
export interface GraphForward {
  /** input [B, seqStep, features] → reconstruction of the same shape; the caller disposes it. */
  (input: tf.Tensor3D): tf.Tensor3D;
  /** Whether batches of more than 512 windows run as an XLA program (else every batch runs the plain graph). */
  readonly xla: boolean;
  /** Why XLA was not used, when it was tried and failed. */
  readonly xlaDeclined?: string;
  dispose(): void;
}

/** The protobuf classes tfjs-node ships for reading SavedModels (generated from TensorFlow's .proto files). */
interface Proto {
  SavedModel: new () => ProtoMessage;
  MetaGraphDef: (new () => ProtoMessage) & { MetaInfoDef: new () => ProtoMessage };
  GraphDef: new () => ProtoMessage;
  NodeDef: new () => ProtoMessage;
  VersionDef: new () => ProtoMessage;
  AttrValue: (new () => ProtoMessage) & { ListValue: new () => ProtoMessage };
  Tensor: new () => ProtoMessage;
  TensorShape: (new () => ProtoMessage) & { Dim: new () => ProtoMessage };
  TensorInfo: new () => ProtoMessage;
  SignatureDef: new () => ProtoMessage;
  DataType: Record<string, number>;
}
/** A google-protobuf message of api_pb.js; the generated JS has no type declarations. */
type ProtoMessage = any;

interface SavedModelApi {
  loadSavedModel(path: string, tags?: string[], signature?: string): Promise<{ predict(x: tf.Tensor): tf.Tensor; dispose(): void }>;
}

const require = createRequire(import.meta.url);
const TFJS_NODE = '@tensorflow/tfjs-node';

function loadProto(): Proto {
  // Not in tfjs-node's export map (it has none), so a deep require resolves it.
  return require(`${TFJS_NODE}/dist/proto/api_pb.js`) as Proto;
}

type DType = 'float' | 'int32';

/** Builds a GraphDef node by node; each method returns the name of the node's first output. */
class GraphBuilder {
  readonly graph: ProtoMessage;
  private n = 0;
  /** xla: mark every node for XLA compilation, as one cluster (TensorFlow's `_XlaCompile` / `_XlaScope` attributes). */
  constructor(
    readonly p: Proto,
    private readonly xla: boolean,
  ) {
    this.graph = new p.GraphDef();
    const versions = new p.VersionDef();
    versions.setProducer(1000);
    this.graph.setVersions(versions);
  }

  private attrType(t: DType): ProtoMessage {
    const a = new this.p.AttrValue();
    a.setType(t === 'float' ? this.p.DataType.DT_FLOAT : this.p.DataType.DT_INT32);
    return a;
  }

  private shape(dims: number[]): ProtoMessage {
    const s = new this.p.TensorShape();
    for (const size of dims) {
      const d = new this.p.TensorShape.Dim();
      d.setSize(size);
      s.addDim(d);
    }
    return s;
  }

  node(op: string, inputs: string[], attrs: Record<string, ProtoMessage> = {}, name = `${op.toLowerCase()}_${this.n++}`): string {
    const node = new this.p.NodeDef();
    node.setName(name);
    node.setOp(op);
    for (const i of inputs) node.addInput(i);
    const map = node.getAttrMap();
    for (const [k, v] of Object.entries(attrs)) map.set(k, v);
    if (this.xla && op !== 'Placeholder') {
      const compile = new this.p.AttrValue();
      compile.setB(true);
      map.set('_XlaCompile', compile);
      const scope = new this.p.AttrValue();
      scope.setS(new TextEncoder().encode('anomalyd-forward'));
      map.set('_XlaScope', scope);
    }
    this.graph.addNode(node);
    return name;
  }

  placeholder(name: string, dims: number[]): string {
    const shape = new this.p.AttrValue();
    shape.setShape(this.shape(dims));
    return this.node('Placeholder', [], { dtype: this.attrType('float'), shape }, name);
  }

  constant(values: Float32Array | Int32Array, dims: number[]): string {
    const t = new this.p.Tensor();
    const float = values instanceof Float32Array;
    t.setDtype(float ? this.p.DataType.DT_FLOAT : this.p.DataType.DT_INT32);
    t.setTensorShape(this.shape(dims));
    // tensor_content is the raw little-endian buffer, as TensorFlow writes it.
    t.setTensorContent(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    const value = new this.p.AttrValue();
    value.setTensor(t);
    return this.node('Const', [], { dtype: this.attrType(float ? 'float' : 'int32'), value });
  }

  ints(values: number[]): string {
    return this.constant(Int32Array.from(values), [values.length]);
  }

  scalar(v: number): string {
    return this.constant(Float32Array.of(v), []);
  }

  /** An op on float tensors with attribute T = float (and the given int32 index attributes). */
  op(op: string, inputs: string[], extra: Record<string, DType | number | boolean> = {}, name?: string): string {
    const attrs: Record<string, ProtoMessage> = { T: this.attrType('float') };
    for (const [k, v] of Object.entries(extra)) {
      const a = new this.p.AttrValue();
      if (typeof v === 'number') a.setI(v);
      else if (typeof v === 'boolean') a.setB(v);
      else a.setType(v === 'float' ? this.p.DataType.DT_FLOAT : this.p.DataType.DT_INT32);
      attrs[k] = a;
    }
    return this.node(op, inputs, attrs, name);
  }

  /** Outputs of a multi-output node. */
  outputs(name: string, n: number): string[] {
    return Array.from({ length: n }, (_, i) => (i === 0 ? name : `${name}:${i}`));
  }
}

/** A value between layers, as in fused-forward.ts: B = batch (dynamic), rows of timeMajor = T·B. */
type Value =
  | { kind: 'vector'; t: string }
  | { kind: 'repeated'; t: string; steps: number }
  | { kind: 'packed'; t: string; steps: number; features: number }
  | { kind: 'timeMajor'; t: string; steps: number; features: number };

type Stage = (v: Value) => Value;

function data2d(t: tf.Tensor): { values: Float32Array; dims: number[] } {
  return { values: t.dataSync() as Float32Array, dims: t.shape };
}

/** Columns [from, to) of a row-major [rows, cols] matrix (or a slice of a vector). */
function columns(values: Float32Array, dims: number[], from: number, to: number): { values: Float32Array; dims: number[] } {
  if (dims.length === 1) return { values: values.slice(from, to), dims: [to - from] };
  const [rows, cols] = dims;
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols + from, r * cols + to), r * (to - from));
  return { values: out, dims: [rows, to - from] };
}

function concatColumns(parts: { values: Float32Array; dims: number[] }[]): { values: Float32Array; dims: number[] } {
  const rows = parts[0].dims.length === 1 ? 1 : parts[0].dims[0];
  const widths = parts.map((p) => (p.dims.length === 1 ? p.dims[0] : p.dims[1]));
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let at = r * total;
    parts.forEach((p, i) => {
      out.set(p.values.subarray(r * widths[i], (r + 1) * widths[i]), at);
      at += widths[i];
    });
  }
  return { values: out, dims: parts[0].dims.length === 1 ? [total] : [rows, total] };
}

class Compiler {
  constructor(readonly g: GraphBuilder) {}
  private readonly scalars = new Map<number, string>();

  scalar(v: number): string {
    let s = this.scalars.get(v);
    if (!s) this.scalars.set(v, (s = this.g.scalar(v)));
    return s;
  }

  activation(name: unknown): (x: string) => string {
    const g = this.g;
    switch (name ?? 'linear') {
      case 'linear':
        return (x) => x;
      case 'relu':
        return (x) => g.op('Relu', [x]);
      case 'sigmoid':
        return (x) => g.op('Sigmoid', [x]);
      case 'tanh':
        return (x) => g.op('Tanh', [x]);
      case 'hardSigmoid':
      case 'hard_sigmoid':
        // tfjs-layers: clip(0.5 + 0.2·x, 0, 1), in that order.
        return (x) => g.op('Maximum', [g.op('Minimum', [g.op('AddV2', [this.scalar(0.5), g.op('Mul', [this.scalar(0.2), x])]), this.scalar(1)]), this.scalar(0)]);
      default:
        return unsupported(`activation ${String(name)}`);
    }
  }

  matMul(a: string, b: string): string {
    return this.g.op('MatMul', [a, b], { transpose_a: false, transpose_b: false });
  }

  toTimeMajor(v: Value): string {
    const g = this.g;
    switch (v.kind) {
      case 'timeMajor':
        return v.t;
      case 'packed':
        return g.op('Reshape', [g.op('Transpose', [v.t, g.ints([1, 0, 2])], { Tperm: 'int32' }), g.ints([-1, v.features])], { Tshape: 'int32' });
      case 'repeated':
        return g.op('Tile', [v.t, g.ints([v.steps, 1])], { Tmultiples: 'int32' });
      case 'vector':
        return unsupported('a sequence layer after a layer that returns a vector');
    }
  }

  toPacked(v: Value): string {
    const g = this.g;
    switch (v.kind) {
      case 'packed':
        return v.t;
      case 'timeMajor':
        return g.op('Transpose', [g.op('Reshape', [v.t, g.ints([v.steps, -1, v.features])], { Tshape: 'int32' }), g.ints([1, 0, 2])], { Tperm: 'int32' });
      case 'repeated':
        return g.op('Tile', [g.op('ExpandDims', [v.t, g.ints([1])], { Tdim: 'int32' }), g.ints([1, v.steps, 1])], { Tmultiples: 'int32' });
      case 'vector':
        return unsupported('a model whose output is not a sequence');
    }
  }

  /** Splits x [rows, Σ widths] along columns. */
  split(x: string, widths: number[]): string[] {
    if (widths.length === 1) return [x];
    const g = this.g;
    const node = g.op('SplitV', [x, g.ints(widths), g.constant(Int32Array.of(1), [])], { num_split: widths.length, Tlen: 'int32' });
    return g.outputs(node, widths.length);
  }

  /** Splits x [steps·B, F] into `steps` row blocks. */
  splitSteps(x: string, steps: number): string[] {
    if (steps === 1) return [x];
    const g = this.g;
    return g.outputs(g.op('Split', [g.constant(Int32Array.of(0), []), x], { num_split: steps }), steps);
  }

  sequenceOut(hs: string[], returnSequences: boolean, units: number): Value {
    if (!returnSequences) return { kind: 'vector', t: hs[hs.length - 1] };
    const g = this.g;
    const t = hs.length === 1 ? hs[0] : g.op('ConcatV2', [...hs, g.constant(Int32Array.of(0), [])], { N: hs.length, Tidx: 'int32' });
    return { kind: 'timeMajor', t, steps: hs.length, features: units };
  }

  /** Per step, the input projection x·W + b split into column groups (a repeated input is projected once). */
  projectInputs(v: Value, w: string, b: string | null, widths: number[]): string[][] {
    const steps = v.kind === 'vector' ? unsupported('a recurrent layer over a vector') : v.steps;
    const x = v.kind === 'repeated' ? v.t : this.toTimeMajor(v);
    const mm = this.matMul(x, w);
    const groups = this.split(b ? this.g.op('AddV2', [mm, b]) : mm, widths);
    const perGroup = groups.map((gr) => (v.kind === 'repeated' ? Array<string>(steps).fill(gr) : this.splitSteps(gr, steps)));
    return Array.from({ length: steps }, (_, t) => perGroup.map((gr) => gr[t]));
  }
}

function recurrentWeights(layer: tf.layers.Layer, gates: number) {
  const { config, units: u, kernel, recurrent, bias } = recurrentLayer(layer, gates);
  return {
    config,
    u,
    kernel: data2d(kernel),
    recurrent: data2d(recurrent),
    bias: bias ? data2d(bias) : { values: new Float32Array(gates * u), dims: [gates * u] },
  };
}

function gruStage(layer: tf.layers.Layer, c: Compiler): Stage {
  const { config, u, kernel, recurrent, bias } = recurrentWeights(layer, 3);
  const g = c.g;
  const gate = c.activation(config.recurrentActivation ?? 'hardSigmoid');
  const act = c.activation(config.activation ?? 'tanh');
  const w = g.constant(kernel.values, kernel.dims);
  const b = g.constant(bias.values, bias.dims);
  const zr = columns(recurrent.values, recurrent.dims, 0, 2 * u);
  const hh = columns(recurrent.values, recurrent.dims, 2 * u, 3 * u);
  const rZr = g.constant(zr.values, zr.dims);
  const rH = g.constant(hh.values, hh.dims);
  return (v) => {
    const hs: string[] = [];
    let h: string | null = null;
    for (const [xZr, xH] of c.projectInputs(v, w, b, [2 * u, u])) {
      const [z, r] = c.split(gate(h ? g.op('AddV2', [xZr, c.matMul(h, rZr)]) : xZr), [u, u]);
      const cand = act(h ? g.op('AddV2', [xH, c.matMul(g.op('Mul', [r, h]), rH)]) : xH);
      const keep = g.op('Mul', [g.op('Sub', [c.scalar(1), z]), cand]);
      h = h ? g.op('AddV2', [g.op('Mul', [z, h]), keep]) : keep;
      hs.push(h);
    }
    return c.sequenceOut(hs, config.returnSequences ?? false, u);
  };
}

function lstmStage(layer: tf.layers.Layer, c: Compiler): Stage {
  const { config, u, kernel, recurrent, bias } = recurrentWeights(layer, 4);
  const g = c.g;
  const gate = c.activation(config.recurrentActivation ?? 'hardSigmoid');
  const act = c.activation(config.activation ?? 'tanh');
  // Columns reordered to i, f, o | c, so the three gates take one activation per step.
  const gatesFirst = (m: { values: Float32Array; dims: number[] }) =>
    concatColumns([columns(m.values, m.dims, 0, 2 * u), columns(m.values, m.dims, 3 * u, 4 * u), columns(m.values, m.dims, 2 * u, 3 * u)]);
  const wm = gatesFirst(kernel);
  const bm = gatesFirst(bias);
  const rm = gatesFirst(recurrent);
  const w = g.constant(wm.values, wm.dims);
  const b = g.constant(bm.values, bm.dims);
  const r = g.constant(rm.values, rm.dims);
  return (v) => {
    const hs: string[] = [];
    let h: string | null = null;
    let cell: string | null = null;
    // LSTMCell adds the bias after both matMuls: (x·W + h·R) + b.
    for (const [xt] of c.projectInputs(v, w, null, [4 * u])) {
      const pre = g.op('AddV2', [h ? g.op('AddV2', [xt, c.matMul(h, r)]) : xt, b]);
      const [ifoPre, cPre] = c.split(pre, [3 * u, u]);
      const [i, f, o] = c.split(gate(ifoPre), [u, u, u]);
      const ic = g.op('Mul', [i, act(cPre)]);
      cell = cell ? g.op('AddV2', [g.op('Mul', [f, cell]), ic]) : ic;
      h = g.op('Mul', [o, act(cell)]);
      hs.push(h);
    }
    return c.sequenceOut(hs, config.returnSequences ?? false, u);
  };
}

function denseStage(layer: tf.layers.Layer, c: Compiler): Stage {
  const config = layer.getConfig() as { activation?: unknown; useBias?: boolean; units: number };
  const weights = layer.getWeights();
  const useBias = config.useBias ?? true;
  if (weights.length !== (useBias ? 2 : 1)) unsupported(`${layer.name}: ${weights.length} weight tensors`);
  const g = c.g;
  const wd = data2d(weights[0]);
  const w = g.constant(wd.values, wd.dims);
  const b = useBias ? g.constant(data2d(weights[1]).values, [config.units]) : null;
  const act = c.activation(config.activation ?? 'linear');
  const affine = (x: string) => act(b ? g.op('AddV2', [c.matMul(x, w), b]) : c.matMul(x, w));
  return (v) => {
    switch (v.kind) {
      case 'vector':
        return { kind: 'vector', t: affine(v.t) };
      case 'repeated':
        return { kind: 'repeated', t: affine(v.t), steps: v.steps };
      default:
        return { kind: 'timeMajor', t: affine(c.toTimeMajor(v)), steps: v.steps, features: config.units };
    }
  };
}

function buildersOf(c: Compiler): StageBuilders<Value> {
  return {
    gru: (layer) => gruStage(layer, c),
    lstm: (layer) => lstmStage(layer, c),
    dense: (layer) => denseStage(layer, c),
    repeat: (v, n) => (v.kind === 'vector' ? { kind: 'repeated', t: v.t, steps: n } : unsupported('RepeatVector over a sequence')),
    flatten: (v) => {
      if (v.kind === 'vector') return v;
      const packed = c.toPacked(v);
      const steps = v.steps;
      const features = v.kind === 'repeated' ? unsupported('Flatten over a repeated vector') : v.features;
      return { kind: 'vector', t: c.g.op('Reshape', [packed, c.g.ints([-1, steps * features])], { Tshape: 'int32' }) };
    },
    reshape: (v, steps, features) => {
      if (v.kind !== 'vector') unsupported('Reshape of a sequence');
      return { kind: 'packed', t: c.g.op('Reshape', [v.t, c.g.ints([-1, steps, features])], { Tshape: 'int32' }), steps, features };
    },
  };
}

/** The SavedModel bytes of `model`'s forward pass, or the reason it cannot be expressed. */
export function savedModelOf(model: tf.LayersModel, meta: Pick<ModelMetadata, 'seqStep' | 'features'>, opts: { xla?: boolean } = {}): { bytes: Uint8Array } | { unsupported: string } {
  const chain = chainOf(model, meta);
  if ('unsupported' in chain) return chain;
  const p = loadProto();
  const g = new GraphBuilder(p, opts.xla ?? false);
  const c = new Compiler(g);
  try {
    const input = g.placeholder('input', [-1, meta.seqStep, meta.features]);
    let v: Value = { kind: 'packed', t: input, steps: meta.seqStep, features: meta.features };
    const builders = buildersOf(c);
    for (const layer of chain.layers) {
      const stage = stageOf(layer, builders);
      if (stage) v = stage(v);
    }
    g.op('Identity', [c.toPacked(v)], {}, 'output');
  } catch (err) {
    if (err instanceof Unsupported) return { unsupported: err.message };
    throw err;
  }

  const info = (name: string) => {
    const t = new p.TensorInfo();
    t.setName(`${name}:0`);
    t.setDtype(p.DataType.DT_FLOAT);
    const s = new p.TensorShape();
    for (const size of [-1, meta.seqStep, meta.features]) {
      const d = new p.TensorShape.Dim();
      d.setSize(size);
      s.addDim(d);
    }
    t.setTensorShape(s);
    return t;
  };
  const signature = new p.SignatureDef();
  signature.getInputsMap().set('input', info('input'));
  signature.getOutputsMap().set('output', info('output'));
  signature.setMethodName('tensorflow/serving/predict');
  const metaInfo = new p.MetaGraphDef.MetaInfoDef();
  metaInfo.addTags('serve');
  const metaGraph = new p.MetaGraphDef();
  metaGraph.setMetaInfoDef(metaInfo);
  metaGraph.setGraphDef(g.graph);
  metaGraph.getSignatureDefMap().set('serving_default', signature);
  const saved = new p.SavedModel();
  saved.setSavedModelSchemaVersion(1);
  saved.addMetaGraphs(metaGraph);
  return { bytes: saved.serializeBinary() as Uint8Array };
}

type Session = Awaited<ReturnType<SavedModelApi['loadSavedModel']>>;

async function loadSession(bytes: Uint8Array): Promise<Session> {
  const node = (await import(TFJS_NODE)) as { node: SavedModelApi };
  const dir = mkdtempSync(join(tmpdir(), 'anomalyd-graph-'));
  try {
    mkdirSync(join(dir, 'variables'));
    writeFileSync(join(dir, 'saved_model.pb'), bytes);
    return await node.node.loadSavedModel(dir, ['serve'], 'serving_default');
  } finally {
    // TensorFlow has read the graph into its session; the files are no longer needed.
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * XLA compiles a graph once per input shape (on the shape's second run, ~1 s each on this machine),
 * and its program wins on large batches only (measured: ~1.3× the plain graph at 1024 windows, 0.5×
 * at 64). So batches of more than 512 windows are padded with zero windows to a multiple of 1024 and
 * run by the XLA session, compiled for 1024 when the model loads; smaller ones run on the plain
 * graph, which needs no compilation. The default `inference.maxBatch` is 1024.
 */
const XLA_FROM = 513;
const XLA_BUCKET = 1024;
export function xlaBucketOf(n: number): number {
  return Math.ceil(n / XLA_BUCKET) * XLA_BUCKET;
}

function warmUp(session: Session, meta: Pick<ModelMetadata, 'seqStep' | 'features'>): void {
  // Two runs: TensorFlow compiles a cluster lazily, on the second run of a shape.
  for (let i = 0; i < 2; i++) {
    tf.tidy(() => {
      session.predict(tf.zeros([XLA_BUCKET, meta.seqStep, meta.features])).dataSync();
    });
  }
}

/**
 * Compiles `model` to a GraphForward on the tensorflow backend, or returns why it cannot
 * (another backend, tfjs-node absent, a layer or setting not covered here). Two sessions of the
 * same graph: the plain one for batches up to 512 windows, and one compiled by XLA for larger
 * batches (see xlaBucketOf) when this TensorFlow build has XLA; `opts.xla: false` leaves it out.
 */
export async function compileGraphForward(
  model: tf.LayersModel,
  meta: Pick<ModelMetadata, 'seqStep' | 'features'>,
  opts: { xla?: boolean } = {},
): Promise<GraphForward | { unsupported: string }> {
  if (tf.getBackend() !== 'tensorflow') return { unsupported: `backend ${tf.getBackend()} (a TensorFlow graph needs the tensorflow backend)` };
  const plainModel = savedModelOf(model, meta);
  if ('unsupported' in plainModel) return plainModel;
  const plain = await loadSession(plainModel.bytes);
  let large: Session | null = null;
  let xlaDeclined: string | undefined;
  if (opts.xla ?? true) {
    try {
      large = await loadSession((savedModelOf(model, meta, { xla: true }) as { bytes: Uint8Array }).bytes);
      warmUp(large, meta);
    } catch (err) {
      large?.dispose();
      large = null;
      xlaDeclined = (err as Error).message.split('\n')[0];
    }
  }
  const xla = large !== null;
  let disposed = false;
  const forward = (input: tf.Tensor3D): tf.Tensor3D => {
    if (disposed) throw new Error('the compiled graph was disposed');
    const n = input.shape[0];
    if (!large || n < XLA_FROM) return plain.predict(input) as tf.Tensor3D;
    const bucket = xlaBucketOf(n);
    if (bucket === n) return large.predict(input) as tf.Tensor3D;
    const session = large;
    return tf.tidy(() => {
      const padded = tf.concat([input, tf.zeros([bucket - n, meta.seqStep, meta.features])], 0);
      return tf.slice(session.predict(padded) as tf.Tensor3D, [0, 0, 0], [n, meta.seqStep, meta.features]);
    });
  };
  return Object.assign(forward, {
    xla,
    ...(xlaDeclined ? { xlaDeclined } : {}),
    dispose() {
      if (disposed) return;
      disposed = true;
      plain.dispose();
      large?.dispose();
    },
  });
}
