import { afterEach, describe, expect, it } from 'vitest';
import { AnomalydMetrics } from './anomalydMetrics.js';
import { findSamples, parseExposition } from './exposition.js';
import { startMetricsServer, type MetricsServer } from './server.js';

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(checks: Record<string, boolean>): Promise<{ server: MetricsServer; metrics: AnomalydMetrics }> {
    const metrics = new AnomalydMetrics({ maxStreamLabels: 5 });
    server = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      readiness: () => ({ ready: Object.values(checks).every(Boolean), checks: { ...checks } }),
    });
    return { server, metrics };
  }

  it('binds a free port when asked for port 0 and serves /metrics in Prometheus text format', async () => {
    const { server, metrics } = await start({ consumerJoined: true, modelsLoaded: true });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    metrics.setActiveStreams(7);

    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await res.text());
    expect(findSamples(samples, 'anomalyd_active_streams')[0].value).toBe(7);
    expect(findSamples(samples, 'process_resident_memory_bytes')).toHaveLength(1);
  });

  it('answers /healthz with 200 whatever the readiness', async () => {
    const { server } = await start({ consumerJoined: false, modelsLoaded: false });
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 naming the failing checks, then 200 once they pass', async () => {
    const checks = { consumerJoined: false, modelsLoaded: true };
    const metrics = new AnomalydMetrics({ maxStreamLabels: 5, collectDefault: false });
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, metrics, readiness: () => ({ ready: checks.consumerJoined && checks.modelsLoaded, checks }) });

    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, checks: { consumerJoined: false, modelsLoaded: true }, failing: ['consumerJoined'] });

    checks.consumerJoined = true;
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { consumerJoined: true, modelsLoaded: true }, failing: [] });
  });

  it('answers unknown paths with 404 and other methods with 405', async () => {
    const { server } = await start({ ok: true });
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/\/nope/);
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('reports a clear error when the port is taken', async () => {
    const { server: first } = await start({ ok: true });
    const metrics = new AnomalydMetrics({ maxStreamLabels: 5, collectDefault: false });
    await expect(
      startMetricsServer({ host: '127.0.0.1', port: first.port, metrics, readiness: () => ({ ready: true, checks: {} }) }),
    ).rejects.toThrow(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: .*EADDRINUSE`));
  });

  it('stops accepting connections after close', async () => {
    const { server: s } = await start({ ok: true });
    await fetch(`${s.url}/healthz`);
    await s.close();
    server = undefined;
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });
});
