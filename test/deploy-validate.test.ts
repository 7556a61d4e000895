import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { AnomalydMetrics } from '../src/metrics/anomalydMetrics.js';
import { LocalCa } from '../src/tls/local-ca.js';
import { dashboard, dataPanels, panelExprs } from './support/dashboard.js';

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

const allExprs = panelExprs;

describe('Grafana dashboard and provisioning', () => {
  it('has unique panel ids, in-grid positions and a description for every panel', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type !== 'row') expect(p.description?.length ?? 0, p.title).toBeGreaterThan(20);
    }
  });

  it('queries the Prometheus the datasource variable picks, never a fixed datasource uid', () => {
    expect(dataPanels.length).toBeGreaterThanOrEqual(12);
    const DS = { type: 'prometheus', uid: '${datasource}' };
    for (const p of dataPanels) {
      expect(p.datasource, p.title).toEqual(DS);
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      for (const t of p.targets!) {
        expect(t.datasource, p.title).toEqual(DS);
        expect(t.expr.trim(), p.title).not.toBe('');
      }
    }
    // Every uid in the file: the dashboard's own, Grafana's built-in annotations, the variable.
    const uids = new Set([...read('grafana/dashboards/anomalyd.json').matchAll(/"uid":\s*"([^"]*)"/g)].map((m) => m[1]));
    expect([...uids].sort()).toEqual(['${datasource}', '-- Grafana --', 'anomalyd']);
  });

  it('has datasource, job and instance variables, and every selector filters by job and instance', () => {
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'instance', 'stream']);
    expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.job).toMatchObject({ type: 'query', query: { query: 'label_values(anomalyd_build_info, job)' }, datasource: { uid: '${datasource}' } });
    expect(vars.instance).toMatchObject({
      type: 'query',
      query: { query: 'label_values(anomalyd_build_info{job=~"$job"}, instance)' },
      multi: true,
      includeAll: true,
      allValue: '.*',
    });
    for (const { panel, expr } of allExprs) {
      const selectors = [...expr.matchAll(/\b(anomalyd_[a-z_]+|up)(\{[^}]*\})?/g)];
      expect(selectors.length, panel).toBeGreaterThan(0);
      for (const [selector, , labels] of selectors) expect(labels ?? '', `${panel}: ${selector}`).toContain('job=~"$job", instance=~"$instance"');
    }
  });

  it('has a multi-select stream variable with All, and per-stream repeated panels', () => {
    const stream = dashboard.templating.list.find((v) => v.name === 'stream');
    expect(stream).toMatchObject({
      type: 'query',
      query: { query: 'label_values(anomalyd_stream_anomaly_score{job=~"$job", instance=~"$instance"}, stream)' },
      multi: true,
      includeAll: true,
      allValue: '.*',
      datasource: { uid: '${datasource}' },
    });
    expect(dataPanels.some((p) => p.repeat === 'stream')).toBe(true);
    const required = [
      'anomalyd_stream_anomalous{stream=~"$stream", job=~"$job", instance=~"$instance"} == 1',
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

  it("links each table's stream to that stream's panel, keeping datasource, job, instance and time range", () => {
    const tables = dataPanels.filter((p) => p.type === 'table');
    expect(tables.map((t) => t.title)).toEqual(['Streams anomalous now', 'Closest to threshold']);
    for (const t of tables) {
      const override = t.fieldConfig?.overrides.find((o) => o.matcher.id === 'byName' && o.matcher.options === 'stream');
      const links = override?.properties.find((p) => p.id === 'links')?.value as { url: string }[] | undefined;
      expect(links?.length, t.title).toBe(1);
      const url = new URL(links![0].url, 'http://grafana.local');
      expect(decodeURIComponent(url.pathname), t.title).toBe('/d/${__dashboard.uid}/${__dashboard}');
      expect(links![0].url, t.title).toContain('var-stream=${__data.fields.stream}');
      for (const keep of ['${datasource:queryparam}', '${job:queryparam}', '${instance:queryparam}', '${__url_time_range}']) {
        expect(links![0].url, t.title).toContain(keep);
      }
    }
    // The panel the link leads to: one per selected stream.
    expect(dataPanels.find((p) => p.repeat === 'stream')?.title).toBe('$stream: value, anomaly score and threshold');
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
  const SECRETS = '/run/secrets/anomalyd';

  /**
   * The ConfigMap's YAML with the Deployment's secret folder stood in by a temp folder holding what the
   * projected volume would: secret.yaml's keys, plus a CA and a metrics certificate made here (the
   * Deployment takes those from Secrets this repository does not ship).
   */
  function k8sConfig() {
    const deployment = parseYaml(read('deploy/kubernetes/deployment.yaml')) as {
      spec: { template: { spec: { volumes: { name: string; projected?: { sources: { secret: { name: string; items: { key: string; path: string }[] } }[] } }[]; containers: { volumeMounts: { name: string; mountPath: string }[] }[] } } };
    };
    const pod = deployment.spec.template.spec;
    expect(pod.containers[0]!.volumeMounts.find((m) => m.name === 'secrets')?.mountPath).toBe(SECRETS);
    const sources = pod.volumes.find((v) => v.name === 'secrets')!.projected!.sources;
    const secret = parseYaml(read('deploy/kubernetes/secret.yaml')) as { metadata: { name: string }; stringData: Record<string, string> };
    const dir = mkdtempSync(join(scratch, 'secrets-'));
    const ca = LocalCa.create();
    const metricsCert = ca.issueServer({ hosts: ['anomalyd.monitoring.svc'] });
    const provided: Record<string, Record<string, string>> = {
      [secret.metadata.name]: secret.stringData,
      'kafka-cluster-ca-cert': { 'ca.crt': ca.cert },
      'anomalyd-metrics-tls': { 'tls.crt': metricsCert.cert, 'tls.key': metricsCert.key },
    };
    for (const { secret: s } of sources) {
      for (const item of s.items) {
        expect(provided[s.name]?.[item.key], `${s.name}/${item.key}`).toBeDefined();
        writeFileSync(join(dir, item.path), provided[s.name]![item.key]!.split(SECRETS).join(dir));
      }
    }
    const text = embedded.split(SECRETS).join(dir);
    return { dir, loaded: parseConfig(text, 'deploy/kubernetes/configmap.yaml', { KAFKA_BROKERS: 'b1:9093,b2:9093' }) };
  }

  it('deploy/anomalyd.yaml and the ConfigMap copy pass the anomalyd config schema', () => {
    const compose = parseConfig(read('deploy/anomalyd.yaml'), 'deploy/anomalyd.yaml', {});
    expect(compose.config.kafka.brokers).toEqual(['kafka:9092']);
    expect(compose.config.metrics).toMatchObject({ host: '0.0.0.0', port: 9464 });
    const { loaded: k8s } = k8sConfig();
    expect(k8s.config.kafka.brokers).toEqual(['b1:9093', 'b2:9093']);
    expect(k8s.modelDirs).toEqual(compose.modelDirs);
  });

  it('the ConfigMap reads the Kafka password and the metrics web config from the mounted Secret', () => {
    const { dir, loaded } = k8sConfig();
    expect(loaded.config.kafka.ssl).toEqual({ ca: join(dir, 'kafka-ca.crt'), rejectUnauthorized: true });
    expect(loaded.config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'anomalyd', password: 'REPLACE-with-the-SCRAM-password-of-kafka-user-anomalyd' });
    expect(loaded.metricsWeb?.tls).toBeDefined();
    expect(Object.keys(loaded.metricsWeb?.users ?? {})).toEqual(['prometheus']);
    expect(loaded.config.metrics).toMatchObject({ host: '0.0.0.0', probesWithoutAuth: true });
  });

  it('the ConfigMap copy differs from deploy/anomalyd.yaml only in brokers, Kafka security and the metrics web config', () => {
    const compose = parseConfig(read('deploy/anomalyd.yaml'), 'deploy/anomalyd.yaml', {}).config;
    const k8s = k8sConfig().loaded.config;
    const strip = (c: typeof compose) => ({
      ...c,
      kafka: { ...c.kafka, brokers: [], ssl: undefined, sasl: undefined },
      metrics: { ...c.metrics, webConfigFile: undefined, probesWithoutAuth: undefined },
    });
    expect(strip(k8s)).toEqual(strip(compose));
  });

  it('the Deployment probes over HTTPS, as the metrics web config serves TLS', () => {
    const deployment = read('deploy/kubernetes/deployment.yaml');
    expect(deployment.match(/scheme: HTTPS/g)).toHaveLength(3);
  });
});

describe('runbook and live demo stack', () => {
  it('every alert rule has a runbook_url pointing at its section of docs/RUNBOOK.md, which says what to check and do', () => {
    const rules = (parseYaml(read('deploy/prometheus/rules/anomalyd.rules.yml')) as { groups: { rules: { alert: string; annotations: Record<string, string> }[] }[] }).groups.flatMap((g) => g.rules);
    const runbook = read('docs/RUNBOOK.md');
    const sections = new Map(runbook.split(/^## /m).slice(1).map((text) => [text.split('\n')[0].trim(), text]));
    expect([...sections.keys()].sort()).toEqual(rules.map((r) => r.alert).sort());
    for (const rule of rules) {
      expect(rule.annotations.runbook_url, rule.alert).toBe(`docs/RUNBOOK.md#${rule.alert.toLowerCase()}`);
      const section = sections.get(rule.alert)!;
      for (const part of ['**Meaning.**', '**Check.**', '**Act.**']) expect(section, `${rule.alert}: ${part}`).toContain(part);
    }
  });

  it('the compose stack runs the demo traffic generator against its Kafka and the anomalyd config', () => {
    const compose = parseYaml(read('deploy/docker-compose.yml')) as {
      services: Record<string, { image?: string; entrypoint?: string[]; environment?: Record<string, string>; volumes?: string[]; depends_on?: Record<string, unknown> }>;
    };
    const traffic = compose.services.traffic;
    expect(traffic.image).toBe(compose.services.anomalyd.image);
    expect(traffic.entrypoint?.slice(0, 5)).toEqual(['anomalyd', 'demo', '--traffic-only', '--config', '/etc/anomalyd/anomalyd.yaml']);
    expect(traffic.environment?.KAFKA_BROKERS).toBe(compose.services.anomalyd.environment?.KAFKA_BROKERS);
    expect(traffic.volumes).toEqual(compose.services.anomalyd.volumes);
    expect(Object.keys(traffic.depends_on ?? {})).toEqual(['kafka', 'anomalyd']);
  });
});
