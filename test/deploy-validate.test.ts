import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { AnomalydMetrics } from '../src/metrics/anomalydMetrics.js';
import { startMetricsServer, type MetricsServer } from '../src/metrics/server.js';
import type { BatchResult, ScoredWindow } from '../src/pipeline/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = join(ROOT, 'scripts/validate-deploy.sh');
const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');

function validate(check: string, ...files: string[]): { status: number | null; output: string } {
  const r = spawnSync('bash', [SCRIPT, check, ...files], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'anomalyd-deploy-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function scratchFile(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

describe('deployment files pass their format validators', () => {
  it.each(['prometheus-config', 'prometheus-rules', 'prometheus-rules-test', 'compose', 'kubernetes', 'dockerfile', 'grafana-json'])(
    '%s',
    (check) => {
      const r = validate(check);
      expect(r.output).not.toMatch(/not found; install it/);
      expect(r.status, r.output).toBe(0);
    },
  );

  it('refuses an unknown check by name', () => {
    const r = validate('helm');
    expect(r.status).toBe(2);
    expect(r.output).toMatch(/unknown check 'helm'/);
  });

  it('the whole script passes', () => {
    const all = spawnSync('bash', [SCRIPT], { encoding: 'utf8', timeout: 300_000 });
    expect(all.status, `${all.stdout}${all.stderr}`).toBe(0);
    expect(all.stdout).toMatch(/all checks passed/);
  });
});

describe('the validators reject broken files', () => {
  it('promtool rejects a rule with invalid PromQL', () => {
    const bad = read('deploy/prometheus/rules/anomalyd.rules.yml').replace('up{job="anomalyd"} == 0', 'up{job="anomalyd"} ==');
    const r = validate('prometheus-rules', scratchFile('bad.rules.yml', bad));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/parse error/i);
  });

  it('the rule unit tests catch a changed lag threshold', () => {
    const dir = mkdtempSync(join(scratch, 'rules-'));
    writeFileSync(join(dir, 'anomalyd.rules.yml'), read('deploy/prometheus/rules/anomalyd.rules.yml').replace('> 10000', '> 20000'));
    copyFileSync(join(ROOT, 'deploy/prometheus/rules/anomalyd.rules.test.yml'), join(dir, 'anomalyd.rules.test.yml'));
    const r = validate('prometheus-rules-test', join(dir, 'anomalyd.rules.test.yml'));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/alertname: AnomalydConsumerLagHigh/);
  });

  it('docker compose rejects an unknown service property', () => {
    const bad = read('deploy/docker-compose.yml').replace('    restart: unless-stopped\n    stop_grace_period', '    restart_policy: always\n    stop_grace_period');
    const r = validate('compose', scratchFile('docker-compose.yml', bad));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/restart_policy/);
  });

  it('kubernetes-validate rejects a misspelled field and a wrongly typed port', () => {
    const deployment = read('deploy/kubernetes/deployment.yaml');
    const misspelled = validate('kubernetes', scratchFile('misspelled.yaml', deployment.replace('readOnlyRootFilesystem', 'readOnlyRootFS')));
    expect(misspelled.status).not.toBe(0);
    expect(misspelled.output).toMatch(/readOnlyRootFS/);
    const badPort = validate('kubernetes', scratchFile('port.yaml', deployment.replace('containerPort: 9464', 'containerPort: metrics')));
    expect(badPort.status).not.toBe(0);
    expect(badPort.output).toMatch(/containerPort/);
  });

  it('hadolint rejects a root image with an unpinned tag', () => {
    const r = validate('dockerfile', scratchFile('Dockerfile', 'FROM node:latest\nRUN cd /app && npm ci\n'));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/DL3007/);
  });
});

interface Target {
  refId: string;
  expr: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  repeat?: string;
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; definition?: string; multi?: boolean; includeAll?: boolean; allValue?: string; datasource?: { uid?: string } }[] };
}

const dashboard = JSON.parse(read('grafana/dashboards/anomalyd.json')) as Dashboard;
const dataPanels = dashboard.panels.filter((p) => p.type !== 'row');
const allExprs = dataPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** Substitutes dashboard variables the way docs/METRICS.md says to: $stream → .*, $__rate_interval → 1m. */
function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$stream', '.*');
}

describe('Grafana dashboard and provisioning', () => {
  it('has unique panel ids, in-grid positions and a description for every panel', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type !== 'row') expect(p.description?.length ?? 0, p.title).toBeGreaterThan(20);
    }
  });

  it('queries only the provisioned Prometheus datasource, with an expression in every target', () => {
    expect(dataPanels.length).toBeGreaterThanOrEqual(12);
    for (const p of dataPanels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: 'prometheus' });
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      for (const t of p.targets!) {
        expect(t.datasource?.uid, p.title).toBe('prometheus');
        expect(t.expr.trim(), p.title).not.toBe('');
      }
    }
  });

  it('has a multi-select stream variable with All, and per-stream repeated panels', () => {
    const stream = dashboard.templating.list.find((v) => v.name === 'stream');
    expect(stream).toMatchObject({
      type: 'query',
      definition: 'label_values(anomalyd_stream_anomaly_score, stream)',
      multi: true,
      includeAll: true,
      allValue: '.*',
      datasource: { uid: 'prometheus' },
    });
    expect(dataPanels.some((p) => p.repeat === 'stream')).toBe(true);
    const required = [
      'anomalyd_stream_anomalous{stream=~"$stream"} == 1',
      'sum by (state) (rate(anomalyd_alerts_total',
      'anomalyd_inference_duration_seconds_bucket',
      'anomalyd_inference_batch_size',
      'anomalyd_consumer_lag',
      'anomalyd_invalid_events_total',
      'anomalyd_event_to_score_latency_seconds_bucket',
      'anomalyd_events_total',
    ];
    for (const r of required) expect(allExprs.some((e) => e.expr.includes(r)), r).toBe(true);
  });

  it('refers only to metrics that AnomalydMetrics exposes', async () => {
    const m = new AnomalydMetrics({ maxStreamLabels: 10, collectDefault: false });
    const families = new Set((await m.registry.getMetricsAsJSON()).map((f) => f.name));
    const rules = read('deploy/prometheus/rules/anomalyd.rules.yml');
    const used = new Set([...allExprs.map((e) => e.expr), rules].flatMap((text) => text.match(/anomalyd_[a-z_]+/g) ?? []));
    for (const name of used) {
      const family = name.replace(/_(bucket|sum|count)$/, '');
      expect(families.has(family) || families.has(name), name).toBe(true);
    }
  });

  it('provisions the datasource with uid prometheus and the dashboards folder the compose file mounts', () => {
    const ds = parseYaml(read('grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; type: string; url: string }[] };
    expect(ds.datasources).toEqual([expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: '${PROMETHEUS_URL}' })]);
    const providers = parseYaml(read('grafana/provisioning/dashboards/anomalyd.yml')) as { providers: { type: string; options: { path: string } }[] };
    expect(providers.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });

    const compose = parseYaml(read('deploy/docker-compose.yml')) as { services: Record<string, { environment?: Record<string, string>; volumes?: string[] }> };
    expect(compose.services.grafana.environment?.PROMETHEUS_URL).toBe('${PROMETHEUS_URL:-http://prometheus:9090}');
    expect(compose.services.grafana.volumes).toContain('../grafana/dashboards:/var/lib/grafana/dashboards:ro');
    // Every bind mount's source exists in the repository.
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const source = v.split(':')[0];
        if (source.startsWith('.')) expect(existsSync(join(ROOT, 'deploy', source)), `${name}: ${source}`).toBe(true);
      }
    }
  });
});

describe('anomalyd configuration shipped for containers', () => {
  const embedded = (parseYaml(read('deploy/kubernetes/configmap.yaml')) as { data: Record<string, string> }).data['anomalyd.yaml'];

  it('deploy/anomalyd.yaml and the ConfigMap copy pass the anomalyd config schema', () => {
    const compose = parseConfig(read('deploy/anomalyd.yaml'), 'deploy/anomalyd.yaml', {});
    expect(compose.config.kafka.brokers).toEqual(['kafka:9092']);
    expect(compose.config.metrics.port).toBe(9464);
    const k8s = parseConfig(embedded, 'deploy/kubernetes/configmap.yaml', { KAFKA_BROKERS: 'b1:9092,b2:9092' });
    expect(k8s.config.kafka.brokers).toEqual(['b1:9092', 'b2:9092']);
    expect(k8s.modelDirs).toEqual(compose.modelDirs);
  });

  it('the ConfigMap copy differs from deploy/anomalyd.yaml only in where brokers come from', () => {
    const body = read('deploy/anomalyd.yaml').slice(read('deploy/anomalyd.yaml').indexOf('kafka:'));
    expect(embedded.replace('${KAFKA_BROKERS}', '${KAFKA_BROKERS:-kafka:9092}').trim()).toBe(body.trim());
  });
});

describe('dashboard expressions against a real Prometheus', () => {
  let metricsServer: MetricsServer;
  let prometheus: ChildProcess;
  let promUrl: string;
  let feeder: NodeJS.Timeout;
  let promLog = '';

  function window(stream: string, score: number, receivedAt: number): ScoredWindow {
    return {
      stream,
      model: 'eps-gru',
      index: 9,
      ts: receivedAt,
      values: new Float32Array([10, 11, 12, 13, 100 * score]),
      seqStep: 5,
      features: 1,
      receivedAt,
      score,
      threshold: 0.5,
      anomalous: score > 0.5,
      reconstruction: new Float32Array(5),
      stepErrors: new Float32Array(5),
    };
  }

  function feed(metrics: AnomalydMetrics): void {
    const now = Date.now();
    const result: BatchResult = {
      scored: [window('fw-01', 0.2, now - 4), window('fw-02', 0.9, now - 20), window('dns-01', 0.1, now - 2)],
      alerts: [],
      rejected: [{ reason: 'invalid_json', detail: 'Unexpected token' }],
      sources: [],
      events: 5,
      inference: [{ model: 'eps-gru', backend: 'cpu', windows: 3, seconds: 0.002 }],
    };
    metrics.observeBatch(result, now);
    metrics.observeRejected('invalid_json');
    metrics.setConsumerLag('metrics.eps', 0, 3);
  }

  async function freePort(): Promise<number> {
    return new Promise((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => res(port));
      });
    });
  }

  beforeAll(async () => {
    const metrics = new AnomalydMetrics({ maxStreamLabels: 2 });
    metrics.setBuildInfo('0.0.0-test', 'cpu');
    metrics.setActiveStreams(3);
    feed(metrics);
    feeder = setInterval(() => feed(metrics), 250);
    metricsServer = await startMetricsServer({ host: '127.0.0.1', port: 0, metrics, readiness: () => ({ ready: true, checks: {} }) });

    const dir = mkdtempSync(join(scratch, 'prom-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: anomalyd\n    static_configs: [{ targets: ["127.0.0.1:${metricsServer.port}"] }]\n`,
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prometheus.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
    prometheus.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
    for (let i = 0; ; i++) {
      const ready = await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (prometheus.exitCode !== null || i > 600) throw new Error(`prometheus did not become ready:\n${promLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    clearInterval(feeder);
    prometheus?.kill('SIGTERM');
    await metricsServer?.close();
  });

  async function query(expr: string): Promise<unknown[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  }

  /** Polls until the expression returns data (rates need two scrapes); gives up after ~60 s. */
  async function queryUntilData(expr: string): Promise<unknown[]> {
    for (let i = 0; i < 240; i++) {
      const result = await query(expr);
      if (result.length > 0) return result;
      await new Promise((r) => setTimeout(r, 250));
    }
    return [];
  }

  it.each(allExprs.map((e) => [e.panel, e.expr]))('%s: %s returns data', async (_panel, expr) => {
    const result = await queryUntilData(substitute(expr));
    expect(result.length, `${substitute(expr)}\n${promLog.slice(-2000)}`).toBeGreaterThan(0);
  });

  it('the stream variable query lists the streams, with folded ones as __other__', async () => {
    const url = `${promUrl}/api/v1/label/stream/values?match[]=anomalyd_stream_anomaly_score`;
    for (let i = 0; i < 240; i++) {
      const body = (await (await fetch(url)).json()) as { data: string[] };
      if (body.data.length > 0) {
        expect(body.data.sort()).toEqual(['__other__', 'fw-01', 'fw-02']);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect.fail('the stream label has no values');
  });

  it('the anomalous-now table lists exactly the anomalous stream', async () => {
    const table = allExprs.find((e) => e.panel === 'Streams anomalous now' && !e.expr.startsWith('count'))!;
    const result = (await queryUntilData(substitute(table.expr))) as { metric: Record<string, string>; value: [number, string] }[];
    expect(result.map((r) => [r.metric.stream, Number(r.value[1])])).toEqual([['fw-02', 0.9]]);
  });
});
