import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCa } from '../src/tls/local-ca.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { testKafka, uniqueName } from './support/kafka.js';
import { startPrometheus, type TestPrometheus } from './support/prometheus.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, opts: { ca?: string; user?: string; password?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = opts.user ? { Authorization: `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}` } : {};
  return new Promise((resolve, reject) => {
    const req = send(url, { ca: opts.ca, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The daemon with TLS and basic auth on its metrics endpoints, scraped by a real Prometheus over HTTPS. */
describe('metrics over TLS with basic auth (metrics.webConfigFile)', () => {
  const password = randomBytes(12).toString('base64url');
  let ca: LocalCa;
  let dir: string;
  let daemon: DaemonProcess;
  let base: string;
  let prometheus: TestPrometheus | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'anomalyd-web-'));
    ca = LocalCa.create('metrics test CA');
    const server = ca.issueServer({ hosts: ['127.0.0.1', 'localhost'] });
    mkdirSync(join(dir, 'tls'));
    writeFileSync(join(dir, 'ca.pem'), ca.cert);
    writeFileSync(join(dir, 'tls', 'server.crt'), server.cert);
    writeFileSync(join(dir, 'tls', 'server.key'), server.key, { mode: 0o600 });
    // Relative paths resolve against the web config's folder, as in the exporter toolkit.
    writeFileSync(
      join(dir, 'web.yml'),
      `tls_server_config:\n  cert_file: tls/server.crt\n  key_file: tls/server.key\n  min_version: TLS12\nbasic_auth_users:\n  prometheus: ${bcrypt.hashSync(password, 10)}\n`,
    );
    const brokers = process.env.KAFKA_BROKERS!;
    const input = uniqueName('web-in');
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input }] });
    await admin.disconnect();
    const config = writeTestConfig({
      brokers,
      input,
      alerts: uniqueName('web-alerts'),
      deadLetter: uniqueName('web-dlq'),
      groupId: uniqueName('web-group'),
      metrics: `  webConfigFile: ${join(dir, 'web.yml')}\n`,
    });
    daemon = new DaemonProcess(config);
    base = (await daemon.ready()).metricsUrl;
  });

  afterAll(async () => {
    prometheus?.stop();
    if (daemon) expect(await daemon.stop()).toBe(0);
  });

  it('serves HTTPS and says so in its log', () => {
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(daemon.logs.find((l) => l.msg === 'serving metrics')).toMatchObject({ tls: true, basicAuth: true });
  });

  it('answers 401 without credentials or with a wrong password, on every endpoint', async () => {
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      const anonymous = await get(`${base}${path}`, { ca: ca.cert });
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm="anomalyd"/);
      expect(anonymous.body).not.toMatch(/anomalyd_/);
      expect((await get(`${base}${path}`, { ca: ca.cert, user: 'prometheus', password: 'wrong' })).status, path).toBe(401);
      expect((await get(`${base}${path}`, { ca: ca.cert, user: 'someone', password })).status, path).toBe(401);
    }
  });

  it('serves the metrics to the right user and password', async () => {
    const ok = await get(`${base}/metrics`, { ca: ca.cert, user: 'prometheus', password });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(/^anomalyd_build_info\{/m);
    expect((await get(`${base}/readyz`, { ca: ca.cert, user: 'prometheus', password })).status).toBe(200);
  });

  it('does not speak plain HTTP, and a client without the CA refuses the certificate', async () => {
    await expect(get(base.replace('https:', 'http:') + '/metrics')).rejects.toThrow();
    await expect(get(`${base}/metrics`, { user: 'prometheus', password })).rejects.toThrow(/self-signed certificate in certificate chain|unable to verify/);
  });

  it('a real Prometheus scrapes it over HTTPS with basic_auth and tls_config.ca_file; wrong settings leave the target down', { timeout: 120_000 }, async () => {
    const target = new URL(base).host;
    writeFileSync(join(dir, 'scrape-password'), password);
    const job = (name: string, extra: string) => `  - job_name: ${name}\n    scheme: https\n${extra}    static_configs: [{ targets: ["${target}"] }]\n`;
    prometheus = await startPrometheus(
      dir,
      `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n` +
        job('anomalyd', `    basic_auth: { username: prometheus, password_file: ${join(dir, 'scrape-password')} }\n    tls_config: { ca_file: ${join(dir, 'ca.pem')} }\n`) +
        job('wrong-password', `    basic_auth: { username: prometheus, password: not-it }\n    tls_config: { ca_file: ${join(dir, 'ca.pem')} }\n`) +
        job('no-ca', `    basic_auth: { username: prometheus, password_file: ${join(dir, 'scrape-password')} }\n`),
    );
    const promUrl = prometheus.url;

    type Target = { labels: { job: string }; health: string; lastError: string };
    let targets: Target[] = [];
    for (let i = 0; i < 240; i++) {
      targets = ((await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
      if (targets.length === 3 && targets.every((t) => t.health !== 'unknown')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const byJob = Object.fromEntries(targets.map((t) => [t.labels.job, t]));
    expect(byJob.anomalyd, prometheus!.log().slice(-1500)).toMatchObject({ health: 'up', lastError: '' });
    expect(byJob['wrong-password']).toMatchObject({ health: 'down', lastError: expect.stringMatching(/401/) });
    expect(byJob['no-ca']).toMatchObject({ health: 'down', lastError: expect.stringMatching(/certificate/) });

    const query = async (expr: string) =>
      ((await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
    expect(await query('up{job="anomalyd"}')).toEqual([expect.objectContaining({ value: [expect.any(Number), '1'] })]);
    const buildInfo = await query('anomalyd_build_info{job="anomalyd"}');
    expect(buildInfo).toHaveLength(1);
    expect(buildInfo[0]!.metric.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
