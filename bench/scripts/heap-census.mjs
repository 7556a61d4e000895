// Memory per stream of the pipeline's state, by kind of object, without a model or broker:
//   npm run build && node --expose-gc bench/scripts/heap-census.mjs STREAMS ROWS [snap [BASE_STREAMS]]
// sends ROWS events to each of STREAMS streams (the bench's EPS traffic, STEP_MS apart, 30 min unless
// set in the environment) through the real ScoringPipeline with a stand-in model (scores 0: the
// context scoring and its state are real, the reconstruction error is not) and prints heapUsed,
// external and ArrayBuffer bytes per stream after gc. With `snap` it also writes a heap snapshot and
// prints bytes per stream by object kind; with BASE_STREAMS, the difference from an earlier `snap`
// run of that many streams (so what every process holds anyway cancels out). DIST=dir runs another build.
import { from, lastValueFrom } from 'rxjs';
import v8 from 'node:v8';
import fs from 'node:fs';
const D = process.env.DIST ?? new URL('../../dist', import.meta.url).pathname;
const { ScoringPipeline } = await import(`${D}/src/pipeline/pipeline.js`);
const { StreamRouter } = await import(`${D}/src/pipeline/router.js`);
const { EpsTraffic, STEP_MS, T0, streamId } = await import(`${D}/bench/traffic.js`);
const N = Number(process.argv[2] ?? 20000);
const ROWS = Number(process.argv[3] ?? 5);
const STEP = Number(process.env.STEP_MS ?? STEP_MS);
const model = { name: 'm', backend: 'test', seqStep: 5, features: 1, threshold: 0.01,
  scaleInto: (raw, out, o) => out.set(raw, o), unscaleInPlace: () => {},
  async score(w, n) { return { mse: new Float32Array(n), stepErrors: new Float32Array(n * 5), reconstruction: w.slice() }; } };
const rule = { match: '*', model: 'm', alert: { openAfter: 1, resolveAfter: 5 } };
const p = new ScoringPipeline({ router: new StreamRouter([rule], new Map([['m', model]])), models: new Map([['m', model]]), maxBatch: 1024, maxLatencyMs: 50 });
const traffic = new EpsTraffic({ streams: N, rows: ROWS });
function* events(from = 0, to = ROWS) { for (let r = from; r < to; r++) for (let s = 0; s < N; s++) yield { stream: streamId(s), ts: T0 + r * STEP, values: [traffic.value(s, r)], receivedAt: Date.now() }; }
global.gc(); const h0 = process.memoryUsage();
// A synchronous source would stage every event before the first batch is scored: feed a few rows at a time.
for (let r = 0; r < ROWS; r += 12) await lastValueFrom(from(events(r, Math.min(ROWS, r + 12))).pipe(p.operator()), { defaultValue: undefined });
global.gc(); const h1 = process.memoryUsage();
console.log('per stream heapUsed', ((h1.heapUsed - h0.heapUsed) / N).toFixed(0), 'external', ((h1.external - h0.external) / N).toFixed(0), 'arrayBuffers', ((h1.arrayBuffers - h0.arrayBuffers) / N).toFixed(0), 'rss', ((h1.rss - h0.rss) / N).toFixed(0));
if (process.argv[4] === 'snap') {
  const f = v8.writeHeapSnapshot('/tmp/perf/h.heapsnapshot');
  const s = JSON.parse(fs.readFileSync(f, 'utf8'));
  const m = s.snapshot.meta; const nf = m.node_fields.length; const types = m.node_types[0];
  const iType = m.node_fields.indexOf('type'), iName = m.node_fields.indexOf('name'), iSize = m.node_fields.indexOf('self_size');
  const agg = new Map();
  for (let i = 0; i < s.nodes.length; i += nf) {
    const t = types[s.nodes[i + iType]]; let name = s.strings[s.nodes[i + iName]];
    if (t === 'string' || t === 'concatenated string' || t === 'sliced string') name = '(string)';
    if (t === 'code' || t === 'closure') name = t + ':' + name.slice(0, 30);
    const k = t + ' ' + name.slice(0, 60);
    const a = agg.get(k) ?? [0, 0]; a[0]++; a[1] += s.nodes[i + iSize]; agg.set(k, a);
  }
  fs.writeFileSync(`/tmp/perf/agg-${N}.json`, JSON.stringify([...agg]));
  const base = process.argv[5] ? new Map(JSON.parse(fs.readFileSync(`/tmp/perf/agg-${process.argv[5]}.json`, 'utf8'))) : new Map();
  const dn = N - (Number(process.argv[5]) || 0);
  const rows = [...agg].map(([k, [c, sz]]) => [k, c - (base.get(k)?.[0] ?? 0), sz - (base.get(k)?.[1] ?? 0)]);
  const top = rows.sort((a, b) => b[2] - a[2]).slice(0, 25);
  let total = 0; for (const r of rows) total += r[2];
  console.log('snapshot total per stream', (total / dn).toFixed(0));
  for (const [k, c, sz] of top) console.log(String((sz / dn).toFixed(1)).padStart(8), 'B/stream', String((c / dn).toFixed(2)).padStart(8), '/stream', k);
}
p.windows.size;
