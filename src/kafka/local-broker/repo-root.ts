import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root: the nearest folder above this module holding `scripts/kafka/pom.xml`.
 * Works both from `src/` (vitest, tsx) and from compiled `dist/src/`.
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'kafka', 'pom.xml')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the anomalyd repository root (scripts/kafka/pom.xml) above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function defaultCacheDir(): string {
  return join(repoRoot(), '.cache', 'kafka');
}
