import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { readEventLines, type EventLineRef } from '../data/read-events.js';
import { logger } from '../log.js';
import { BackendUnavailableError, type BackendPreference } from '../model/backend.js';
import { augmentedFeatureCount } from '../pipeline/feature-augment.js';
import { pipelineFromConfig } from '../pipeline/from-config.js';
import { loadPipelineModels } from '../pipeline/load-models.js';
import { replayEvents, type EventReplayResult } from '../pipeline/replay-events.js';
import type { PipelineModel } from '../pipeline/scoring-model.js';
import type { BatchResult, Rejected, ScoredWindow } from '../pipeline/types.js';
import { UsageError } from './errors.js';

/** The options of every command that replays an events file through a configuration (replay, evaluate). */
export interface EventsReplayOptions {
  config: string;
  input: string;
  /** Overrides the configuration's `inference.backend`. */
  backend?: BackendPreference;
  /** Write `stream,ts,value,score,threshold,anomalous` per scored window here. */
  scores?: string;
  /** Called with every scored window, in input order (e.g. to keep series for charts). */
  onScored?: (w: ScoredWindow, value: number[]) => void;
}

export interface EventsReplay {
  loaded: LoadedConfig;
  models: ReadonlyMap<string, PipelineModel>;
  result: EventReplayResult<EventLineRef>;
}

const PROGRESS_EVERY_MS = 2000;
const REJECTIONS_LOGGED = 20;

export function loadConfigOrExplain(file: string): LoadedConfig {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * `--config FILE --input events.ndjson`: the events file through the daemon's own pipeline — the stream rules,
 * models, batching and backpressure of that configuration, its decoder, each event in file order.
 * Progress goes to the log (stderr); lines that are not valid events are logged with their line and reason.
 */
export async function replayEventsFile(opts: EventsReplayOptions): Promise<EventsReplay> {
  const log = logger();
  const loaded = loadConfigOrExplain(opts.config);
  const { config } = loaded;
  try {
    if (!statSync(opts.input).isFile()) throw new UsageError(`${opts.input}: is a directory, not an events file`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${opts.input}: cannot read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let models: Map<string, PipelineModel>;
  try {
    // As `anomalyd run` loads them: inference in a worker thread per model.
    models = await loadPipelineModels(loaded.modelDirs, opts.backend ?? config.inference.backend, log, { thread: 'worker' });
  } catch (err) {
    if (err instanceof BackendUnavailableError) throw new UsageError(err.message);
    throw err;
  }
  const ownFeatures = new Map([...models].map(([name, m]) => [name, m.features - augmentedFeatureCount(m.augment)]));
  const scores = opts.scores ? await openScores(opts.scores) : undefined;

  let done = 0;
  let alerts = 0;
  let rejected = 0;
  let lastProgress = Date.now();
  const started = lastProgress;
  const onBatch = async (batch: BatchResult<EventLineRef>) => {
    const lines: string[] = [];
    for (const w of batch.scored) {
      const newest = (w.seqStep - 1) * w.features;
      const value = Array.from(w.values.subarray(newest, newest + ownFeatures.get(w.model)!));
      opts.onScored?.(w, value);
      if (scores) lines.push(`${csvCell(w.stream)},${new Date(w.ts).toISOString()},${value.map(float32Text).join(';')},${w.score},${w.threshold},${w.anomalous ? 1 : 0}\n`);
    }
    if (scores && lines.length > 0 && !scores.write(lines.join(''))) await once(scores, 'drain');
    for (const r of batch.rejected) if (rejected++ < REJECTIONS_LOGGED) logRejected(r);
    done += batch.events;
    alerts += batch.alerts.length;
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      log.info({ events: done, alerts, rejected, eventsPerSecond: Math.round(done / ((lastProgress - started) / 1000)) }, `replayed ${done} events`);
    }
  };
  const result = await replayEvents(pipelineFromConfig<EventLineRef>(config, models), readEventLines(opts.input, config.input.fields), {
    maxInFlight: config.daemon.maxInFlight,
    onBatch,
  });
  if (scores) {
    scores.end();
    await once(scores, 'finish');
  }
  const byReason: Record<string, number> = {};
  for (const r of result.rejected) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
  if (result.rejected.length > REJECTIONS_LOGGED) log.warn({ rejected: byReason }, `${result.rejected.length} events not scored (the first ${REJECTIONS_LOGGED} are logged above)`);
  log.info(
    {
      events: result.events,
      scored: result.scored,
      rejected: result.rejected.length,
      alerts: result.alerts.length,
      opens: result.alerts.filter((a) => a.state === 'open').length,
      streams: new Set(result.alerts.map((a) => a.stream)).size,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      watermark: result.watermark === null ? null : new Date(result.watermark).toISOString(),
    },
    `replayed ${result.events} events of ${opts.input}`,
  );
  return { loaded, models, result };
}

function logRejected(r: Rejected<EventLineRef>): void {
  logger().warn({ line: r.source?.line, reason: r.reason, detail: r.detail, stream: r.stream, text: r.source?.text }, 'event not scored');
}

async function openScores(file: string): Promise<WriteStream> {
  const out = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', (err) => reject(new UsageError(`${file}: cannot write scores: ${err.message}`)));
  });
  out.write('stream,ts,value,score,threshold,anomalous\n');
  return out;
}

/** Stream ids are free text: quote the ones CSV would split. */
function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The shortest decimal that reads back as the same float32: the value as the model saw it (windows hold float32), without float noise. */
export function float32Text(v: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = v.toPrecision(digits);
    if (Math.fround(Number(text)) === v) return String(Number(text));
  }
  return String(v);
}
