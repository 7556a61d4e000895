import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('anomalyd run with no broker reachable', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(() => daemon?.kill());

  it('keeps retrying with log lines, is not ready, and still stops cleanly on SIGTERM', async () => {
    const file = writeTestConfig({ brokers: `127.0.0.1:${await closedPort()}`, input: 'in', alerts: 'out', deadLetter: 'dlq', groupId: 'g' });
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('  groupId: g\n', '  groupId: g\n  connectionTimeoutMs: 500\n  retry:\n    initialRetryTimeMs: 100\n    maxRetryTimeMs: 200\n    retries: 1\n'),
    );
    daemon = new DaemonProcess(file);
    const served = await daemon.waitForLog((l) => l.msg === 'serving metrics', 'the metrics server');
    const base = String(served.url).replace(/\/metrics$/, '');
    const first = await daemon.waitForLog((l) => /failed; retrying$/.test(l.msg), 'a retry log line', 60_000);
    expect(first).toMatchObject({ level: 40, attempt: 1, retryInMs: 1000 });
    const second = await daemon.waitForLog((l) => /failed; retrying$/.test(l.msg) && l.attempt === 2, 'a second attempt', 60_000);
    expect(second.retryInMs).toBe(2000);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, checks: { modelsLoaded: true, consumerJoined: false } });

    expect(await daemon.stop()).toBe(0);
  });
});
