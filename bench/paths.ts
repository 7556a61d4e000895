import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from bench/ or dist/bench/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above the bench)');
    dir = up;
  }
  return dir;
}

/** ../shared/data next to the repository, or ANOMALYD_SHARED_DIR/data. */
export function sharedDataDir(): string {
  const dir = process.env.ANOMALYD_SHARED_DIR ?? resolve(repoRoot(), '..', 'shared');
  const data = join(dir, 'data');
  if (!existsSync(join(data, 'eps'))) throw new Error(`${data}/eps: EPS data not found (set ANOMALYD_SHARED_DIR to the shared folder)`);
  return data;
}
