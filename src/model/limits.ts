/**
 * Upper bounds on what a model directory may ask anomalyd to allocate. model.json and anomalyd.json
 * are checked against them before any tensor, weight buffer or window ring is created, so a crafted
 * or corrupt model fails with a message instead of exhausting memory. Far above any EPS autoencoder
 * (the shipped model: 50 units, seqStep 5, 1 feature, 123 KB of weights).
 */
export const MODEL_LIMITS = {
  /** `units`, `n`, `filters` and similar layer widths in model.json. */
  layerWidth: 4096,
  /** Each dimension of an input or target shape in model.json. */
  shapeDimension: 4096,
  /** anomalyd.json `seqStep`: values held per stream. */
  seqStep: 4096,
  /** anomalyd.json `features`. */
  features: 1024,
  /** Elements of one weight tensor in the manifest. */
  tensorElements: 16 * 1024 * 1024,
  /** Bytes of all weights together. */
  weightBytes: 256 * 1024 * 1024,
} as const;
