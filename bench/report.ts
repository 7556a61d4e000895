import type { BareConsumerResult } from './bare-consumer.js';
import type { E2eResult } from './e2e.js';
import type { InferenceRow } from './inference.js';
import type { MemoryResult, StateMemory } from './memory.js';
import type { PacedResult } from './paced.js';
import type { PerWindowRow } from './per-window.js';
import type { WorkersRow } from './workers.js';

export interface BenchReport {
  startedAt: string;
  finishedAt?: string;
  command: string;
  node: string;
  cpus: number;
  backends?: { available: string[]; skipped: { backend: string; why: string }[] };
  model?: { origin: string; backend: string; thread: string; route?: string; kind: string; seqStep: number; units: number; threshold: number };
  kafka?: { brokers: string; partitions: number };
  input?: { topic: string; events: number; streams: number; spikedStreams: number; reused: boolean; produceSeconds: number; producedPerSecond: number | null };
  inference?: InferenceRow[];
  perWindow?: PerWindowRow[];
  e2e?: E2eResult;
  bare?: BareConsumerResult;
  paced?: PacedResult;
  memory?: MemoryResult[];
  workers?: WorkersRow[];
  ratios?: { daemonOverBare?: number; batchedOverPerWindow?: Record<string, number> };
}

function table(title: string, head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [`\n${title}`, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export function printReport(r: BenchReport): void {
  const out: string[] = [`anomalyd bench — ${r.startedAt}, node ${r.node}, ${r.cpus} CPUs`, `command: ${r.command}`];
  if (r.backends) out.push(`backends: ${r.backends.available.join(', ')}${r.backends.skipped.length ? ` (unavailable: ${r.backends.skipped.map((s) => s.backend).join(', ')})` : ''}`);
  if (r.model) out.push(`daemon model: ${r.model.origin}; ${r.model.kind} ${r.model.units} units, seqStep ${r.model.seqStep}, backend ${r.model.backend}, route ${r.model.route ?? '?'}, inference on the ${r.model.thread} thread`);
  if (r.inference) {
    out.push(table('a. inference (ScoringModel.score; eps-gru = models/eps-gru, gru/lstm = reference autoencoders; 50 units, seqStep 5)', ['backend', 'route', 'model', 'batch', 'windows/s', 'ms/call'], r.inference.map((i) => [i.backend, i.route, i.model, i.batch, int(i.windowsPerSecond), i.msPerCall.toFixed(3)])));
    const at = (backend: string, route: string) => r.inference!.find((i) => i.backend === backend && i.route === route && i.model === 'eps-gru' && i.batch === 1024);
    const graph = at('tensorflow', 'graph');
    const fused = at('tensorflow', 'fused');
    const predict = at('tensorflow', 'predict');
    if (graph && fused) out.push(`  models/eps-gru @1024 on tensorflow: graph / fused = ${(graph.windowsPerSecond / fused.windowsPerSecond).toFixed(2)}×${predict ? `, graph / predict = ${(graph.windowsPerSecond / predict.windowsPerSecond).toFixed(2)}×` : ''}`);
  }
  if (r.perWindow) {
    out.push(table('b. one predict call per window vs one call per batch', ['backend', 'per-window windows/s', 'batched windows/s', 'batch', 'batched/per-window'], r.perWindow.map((p) => [p.backend, int(p.perWindowPerSecond), int(p.batchedPerSecond), p.batch, `${p.ratio.toFixed(1)}×`])));
  }
  if (r.input) out.push(`\ninput topic ${r.input.topic}: ${int(r.input.events)} events, ${r.input.streams} streams (${r.input.spikedStreams} spiked), ${r.kafka?.partitions} partitions, ${r.input.reused ? 'reused' : `produced in ${r.input.produceSeconds.toFixed(1)} s (${int(r.input.producedPerSecond ?? 0)}/s)`}`);
  const runs: (string | number)[][] = [];
  const lat = (e: E2eResult) => [
    `${ms(e.fetchToScoredMs.p50)} / ${ms(e.fetchToScoredMs.p99)}`,
    `${ms(e.produceToDeliveredMs.p50)} / ${ms(e.produceToDeliveredMs.p99)}`,
    e.eventToAlertMs ? `${ms(e.eventToAlertMs.p50)} / ${ms(e.eventToAlertMs.p99)} (${int(e.eventToAlertMs.alerts)})` : 'not traced',
    `${e.histogram.p50} / ${e.histogram.p99}`,
  ];
  if (r.e2e) runs.push(['c. daemon, backlog', int(r.e2e.events), r.e2e.seconds.toFixed(2), int(r.e2e.eventsPerSecond), r.e2e.alerts, ...lat(r.e2e)]);
  if (r.bare) runs.push(['d. bare kafkajs consumer', int(r.bare.events), r.bare.seconds.toFixed(2), int(r.bare.eventsPerSecond), '', '', '', '', '']);
  if (r.paced) runs.push([`c'. daemon, paced ${int(r.paced.rate)}/s`, int(r.paced.events), r.paced.seconds.toFixed(2), int(r.paced.eventsPerSecond), r.paced.alerts, ...lat(r.paced)]);
  const warm = r.paced?.afterWarmup;
  if (warm) {
    runs.push([
      `c'. the same, events after ${warm.warmupMs / 1000} s`,
      '', '', '', '', '',
      `${ms(warm.produceToDeliveredMs.p50)} / ${ms(warm.produceToDeliveredMs.p99)}`,
      `${ms(warm.eventToAlertMs.p50)} / ${ms(warm.eventToAlertMs.p99)} (${int(warm.eventToAlertMs.alerts)})`,
      '',
    ]);
  }
  if (runs.length) {
    out.push(table('end to end (real broker; daemon in-process)', ['run', 'events', 'seconds', 'events/s', 'alerts', 'fetch→scored p50/p99 ms', 'produce→delivered p50/p99 ms', 'event→alert p50/p99 ms (alerts)', 'histogram p50/p99 s'], runs));
  }
  if (r.workers?.length) {
    const base = r.workers[0];
    out.push(
      table('f. anomalyd run --workers N (own processes, shipped config defaults, same topic; from a stable group to the last commit)', ['workers', 'events', 'seconds', 'events/s', `vs ${base.workers} worker(s)`, 'exit'], r.workers.map((w) => [w.workers, int(w.events), w.seconds.toFixed(2), int(w.eventsPerSecond), `${(w.eventsPerSecond / base.eventsPerSecond).toFixed(2)}×`, w.exitCode])),
    );
  }
  for (const m of r.memory ?? []) {
    out.push(
      table(`e. memory, ${int(m.streams)} distinct stream ids, maxActiveStreams ${m.cap === 0 ? 'off' : int(m.cap)}: ${int(m.activeStreams)} held, ${int(m.rejectedStreamLimit)} events rejected as stream_limit (after gc${m.gcExposed ? '' : ' — NOT exposed, run with --expose-gc'})`, ['state', 'RSS Δ', 'heapUsed Δ', 'buffers Δ', 'RSS/stream', 'heap/stream', 'heap+buffers/stream'], [
        ['pipeline (windows, episodes, routes)', ...memoryRow(m.pipeline)],
        ['+ per-stream metrics', ...memoryRow(m.withMetrics)],
      ]),
    );
  }
  if (r.ratios) {
    out.push('\nratios');
    if (r.ratios.batchedOverPerWindow) for (const [b, x] of Object.entries(r.ratios.batchedOverPerWindow)) out.push(`  batched / per-window (${b}): ${x.toFixed(1)}×`);
    if (r.ratios.daemonOverBare !== undefined) out.push(`  daemon / bare consumer (c/d): ${r.ratios.daemonOverBare.toFixed(2)}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** A memory row: growth in all, then per stream; buffers are absent from reports made before they were measured. */
function memoryRow(m: StateMemory): string[] {
  const buffers = m.bufferPerStream ?? 0;
  return [mib(m.rssBytes), mib(m.heapBytes), m.bufferBytes === undefined ? '—' : mib(m.bufferBytes), kib(m.rssPerStream), kib(m.heapPerStream), kib(m.heapPerStream + buffers)];
}
