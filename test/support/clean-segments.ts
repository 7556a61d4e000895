import { join } from 'node:path';
import { logger } from '../../src/log.js';
import { loadPipelineModels } from '../../src/pipeline/load-models.js';
import { replaySeries } from '../../src/pipeline/replay.js';
import { repo } from './daemon-process.js';
import { readEps } from './eps.js';

/**
 * Where the pretrained EPS model sees only normal traffic. The integration tests inject anomalies
 * into such stretches of the reference weeks, so that "clean streams raise no alert" tests the
 * daemon's plumbing rather than the model's rare false alarms on normal weeks (those are measured by
 * the acceptance test and `anomalyd evaluate`). A margin below the threshold keeps the choice
 * stable across TensorFlow.js backends.
 */
export async function cleanSegments(file: string, length: number, margin = 0.8): Promise<{ values: number[]; offsets: number[] }> {
  const values = readEps(file);
  const models = await loadPipelineModels({ 'eps-gru': join(repo, 'models', 'eps-gru') }, 'auto', logger().child({}, { level: 'warn' }));
  const model = models.get('eps-gru')!;
  const { points, threshold } = await replaySeries(
    { file, columns: ['value'], rows: values.map((v) => [v]), timestamps: values.map(() => null) },
    model,
  );
  const quiet = points.map((p) => p.score !== null && p.score < margin * threshold);
  const offsets: number[] = [];
  // A segment's own windows end at rows offset+seqStep-1 … offset+length-1.
  for (let o = 0; o + length <= values.length; o++) {
    let ok = true;
    for (let r = o + model.seqStep - 1; r < o + length && ok; r++) ok = quiet[r];
    if (ok) offsets.push(o);
  }
  return { values, offsets };
}
