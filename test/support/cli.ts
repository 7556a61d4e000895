import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repo } from './daemon-process.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const command = (args: string[]) => [join(repo, 'bin', 'anomalyd.js'), ...args];
const environment = (env: NodeJS.ProcessEnv) => ({ ...process.env, ANOMALYD_LOG_FORMAT: 'json', ...env });

/** Runs the real `anomalyd` command (the compiled CLI that `npm ci` builds) and waits for it. For quick commands. */
export function anomalyd(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): CliResult {
  const r = spawnSync(process.execPath, command(args), { cwd: repo, env: environment(env), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking the test worker: for long runs such as training (vitest's worker RPC times out otherwise). */
export function anomalydAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command(args), { cwd: repo, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
