import { formatThresholdMethod } from './threshold.js';
import type { ModelMetadata } from './types.js';

const ARCHITECTURE: Record<ModelMetadata['kind'], (m: ModelMetadata) => string> = {
  gru: (m) =>
    `GRU(${m.training.units}, relu) → RepeatVector(${m.seqStep}) → GRU(${m.training.units}, relu, return sequences) → TimeDistributed(Dense(${m.features}))`,
  lstm: (m) =>
    `LSTM(${m.training.units}, relu) → RepeatVector(${m.seqStep}) → LSTM(${m.training.units}, relu, return sequences) → TimeDistributed(Dense(${m.features}))`,
  dense: (m) =>
    `Flatten → Dense(${m.training.units}, relu) → Dense(${Math.max(1, Math.floor(m.training.units / 2))}, relu) → Dense(${m.training.units}, relu) → Dense(${m.seqStep * m.features}) → Reshape(${m.seqStep}, ${m.features})`,
};

/** A model directory's README.md, generated from its anomalyd.json so that it always tells the truth. */
export function modelReadme(meta: ModelMetadata, options: { title: string; command: string; notes?: string }): string {
  const t = meta.training;
  const c = meta.threshold.calibration;
  const fmt = (v: number) => v.toPrecision(4);
  const lines = [
    `# ${options.title}`,
    '',
    '<!-- Generated from anomalyd.json by scripts/train-eps-model.sh; do not edit by hand. -->',
    '',
    `A ${meta.kind.toUpperCase()} autoencoder over windows of ${meta.seqStep} consecutive values of ${meta.features} feature(s) (${meta.featureNames.join(', ')}).`,
    `Its anomaly score is the mean squared reconstruction error of a window in scaled units; a window scoring above ${fmt(meta.threshold.value)} is anomalous.`,
    '',
    '## How it was trained',
    '',
    '```sh',
    options.command,
    '```',
    '',
    '| | |',
    '| --- | --- |',
    `| training data | \`${t.source}\`: ${t.rows} rows |`,
    `| architecture | ${ARCHITECTURE[meta.kind](meta)} |`,
    `| loss, optimizer | mean squared error, Adam |`,
    `| scaler | ${meta.scaler.kind}, fitted on the training rows: a = [${meta.scaler.a.map(fmt).join(', ')}], b = [${meta.scaler.b.map(fmt).join(', ')}] |`,
    `| denoising noise | ${t.noise ? `Gaussian, std ${t.noise} (scaled units), on training inputs only` : 'none'} |`,
    `| seed | ${t.seed ?? 'none (not reproducible)'} |`,
    `| training windows | ${t.windows} |`,
    `| epochs run | ${t.epochs}${t.bestEpoch ? `, weights of epoch ${t.bestEpoch} kept (best validation loss)` : ''} |`,
    `| final training loss | ${fmt(t.finalLoss)} |`,
    `| final validation loss | ${t.finalValLoss === null ? 'n/a (no validation split)' : fmt(t.finalValLoss)} |`,
    `| threshold | **${fmt(meta.threshold.value)}** = ${formatThresholdMethod(c)} of the scores of ${c.windows} ${c.source} |`,
    `| trained at | ${t.trainedAt} |`,
    '',
  ];
  if (options.notes) lines.push(options.notes.trim(), '');
  return lines.join('\n');
}
