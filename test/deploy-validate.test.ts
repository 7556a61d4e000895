import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { AnomalydMetrics } from '../src/metrics/anomalydMetrics.js';
import { annotationExprs, dashboard, dataPanels, panelExprs } from './support/dashboard.js';

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

  it('the rule unit tests catch a silent-source rule that waits for fewer cadences', () => {
    const dir = mkdtempSync(join(scratch, 'rules-'));
    writeFileSync(join(dir, 'anomalyd.rules.yml'), read('deploy/prometheus/rules/anomalyd.rules.yml').replace('> 3 * anomalyd_stream_cadence_seconds', '> 2 * anomalyd_stream_cadence_seconds'));
    copyFileSync(join(ROOT, 'deploy/prometheus/rules/anomalyd.rules.test.yml'), join(dir, 'anomalyd.rules.test.yml'));
    const r = validate('prometheus-rules-test', join(dir, 'anomalyd.rules.test.yml'));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/alertname: AnomalydSourceSilent/);
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

const allExprs = [...panelExprs, ...annotationExprs];

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
      'anomalyd_stream_last_event_timestamp_seconds{stream=~"$stream"} > 3 * anomalyd_stream_cadence_seconds',
      'anomalyd_stream_expected_value{stream=~"$stream"}',
      'anomalyd_alert_episodes_total',
    ];
    for (const r of required) expect(allExprs.some((e) => e.expr.includes(r)), r).toBe(true);
  });

  it('lists every silent source, not a top k, longest silence first', () => {
    const silent = dataPanels.find((p) => p.title === 'Silent sources')!;
    expect(silent.type).toBe('table');
    for (const t of silent.targets!) expect(t.expr).not.toMatch(/topk|bottomk|limitk/);
    expect(silent.targets![0].expr).toMatch(/^sort_desc\(time\(\) - anomalyd_stream_last_event_timestamp_seconds/);
    expect((silent as { options?: { sortBy?: unknown } }).options?.sortBy).toEqual([{ displayName: 'silent for', desc: true }]);
  });

  it('shows actual against expected per stream, and annotates alert and silence episodes from Prometheus', () => {
    const actual = dataPanels.find((p) => p.repeat === 'stream' && p.targets!.some((t) => t.expr.includes('anomalyd_stream_expected_value')));
    expect(actual?.targets?.map((t) => t.expr)).toContain('anomalyd_stream_last_value{stream=~"$stream"}');
    const annotations = dashboard.annotations.list.filter((a) => a.expr !== undefined);
    expect(annotations.map((a) => a.name)).toEqual(['Anomaly episodes', 'Silence episodes']);
    for (const a of annotations) {
      expect(a.datasource, a.name).toEqual({ type: 'prometheus', uid: 'prometheus' });
      expect(a.enable, a.name).toBe(true);
      expect(a.expr, a.name).toMatch(/anomalyd_stream_episode_open\{stream=~"\$stream", kind(!=|=)"silence"\}\) == 1$/);
    }
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
