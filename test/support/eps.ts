import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from './daemon-process.js';

export function readEps(name: string): number[] {
  return readFileSync(join(sharedDir, 'data', 'eps', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

export const HALF_HOUR = 30 * 60 * 1000;
export const T0 = Date.UTC(2026, 10, 22);
