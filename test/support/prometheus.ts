import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/kafka/local-broker/free-port.js';

/** A real Prometheus (the Debian package's binary) started for one test file. */
export interface TestPrometheus {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Everything it printed so far, for failure messages. */
  log(): string;
  stop(): void;
}

/** Writes `config` as `dir/prometheus.yml`, starts Prometheus on a free loopback port with its data in `dir`, and waits until it is ready. */
export async function startPrometheus(dir: string, config: string): Promise<TestPrometheus> {
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; !(await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`prometheus did not become ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, log: () => log, stop: () => void child.kill('SIGTERM') };
}
