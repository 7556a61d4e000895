import type { ModelMetadata, ScalerKind, ScalerParams } from './types.js';

export const SCALER_KINDS: readonly ScalerKind[] = ['minmax', 'zscore', 'log1p'];

/**
 * Per-feature scaling of row-major [rows][features] values.
 * minmax: (x - min) / (max - min). zscore: (x - mean) / std. log1p: minmax of log1p(x).
 * A constant feature (zero range or zero std) is only shifted, never divided by zero.
 * log1p needs x ≥ 0: fitting rejects negative data, transform clamps negatives to 0.
 */
export class Scaler {
  readonly features: number;
  private readonly offset: Float64Array;
  private readonly scale: Float64Array;

  constructor(readonly params: ScalerParams) {
    if (!SCALER_KINDS.includes(params.kind)) throw new Error(`unknown scaler "${params.kind as string}" (expected ${SCALER_KINDS.join(', ')})`);
    if (params.a.length !== params.b.length || params.a.length === 0) {
      throw new Error(`scaler parameters need one a and one b per feature (got ${params.a.length} and ${params.b.length})`);
    }
    this.features = params.a.length;
    this.offset = Float64Array.from(params.a);
    this.scale = Float64Array.from(params.kind === 'zscore' ? params.b : params.b.map((max, i) => max - params.a[i]));
    for (let i = 0; i < this.features; i++) if (!(this.scale[i] > 0) || !Number.isFinite(this.scale[i])) this.scale[i] = 1;
  }

  /** Fits per-feature parameters on training data (row-major, `features` values per row). */
  static fit(kind: ScalerKind, data: ArrayLike<number>, features: number): Scaler {
    const rows = data.length / features;
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`cannot fit a scaler on ${data.length} values of ${features} feature(s)`);
    const a: number[] = [];
    const b: number[] = [];
    for (let f = 0; f < features; f++) {
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (let r = 0; r < rows; r++) {
        let x = data[r * features + f];
        if (kind === 'log1p') {
          if (x < 0) throw new Error(`the log1p scaler needs non-negative data; feature ${f} has ${x}`);
          x = Math.log1p(x);
        }
        if (x < min) min = x;
        if (x > max) max = x;
        sum += x;
      }
      if (kind === 'zscore') {
        const mean = sum / rows;
        let sq = 0;
        for (let r = 0; r < rows; r++) sq += (data[r * features + f] - mean) ** 2;
        a.push(mean);
        b.push(Math.sqrt(sq / rows));
      } else {
        a.push(min);
        b.push(max);
      }
    }
    return new Scaler({ kind, a, b });
  }

  /** Raw → scaled. Writes into `out` when given (it may be `values` itself). */
  transform(values: ArrayLike<number>, out: Float32Array = new Float32Array(values.length)): Float32Array {
    const f = this.features;
    const log = this.params.kind === 'log1p';
    for (let i = 0; i < values.length; i++) {
      const k = i % f;
      const x = log ? Math.log1p(Math.max(0, values[i])) : values[i];
      out[i] = (x - this.offset[k]) / this.scale[k];
    }
    return out;
  }

  /** Scaled → raw. Writes into `out` when given (it may be `values` itself). */
  inverse(values: ArrayLike<number>, out: Float32Array = new Float32Array(values.length)): Float32Array {
    const f = this.features;
    const log = this.params.kind === 'log1p';
    for (let i = 0; i < values.length; i++) {
      const k = i % f;
      const x = values[i] * this.scale[k] + this.offset[k];
      out[i] = log ? Math.expm1(x) : x;
    }
    return out;
  }
}

export function scalerFromMetadata(meta: Pick<ModelMetadata, 'scaler' | 'features'>): Scaler {
  const s = new Scaler(meta.scaler);
  if (s.features !== meta.features) throw new Error(`scaler has ${s.features} feature(s) but the model has ${meta.features}`);
  return s;
}
