import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repo } from './daemon-process.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `anomalyd` command (the compiled CLI that `npm ci` builds). */
export function anomalyd(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): CliResult {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'anomalyd.js'), ...args], {
    cwd: repo,
    env: { ...process.env, ANOMALYD_LOG_FORMAT: 'json', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
