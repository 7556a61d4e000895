#!/usr/bin/env node
// Runs the compiled CLI; `npm ci` compiles it through the `prepare` script.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'index.js');
if (!existsSync(entry)) {
  console.error(`anomalyd: ${entry} is missing; run \`npm run build\` (npm ci runs it for you).`);
  process.exit(1);
}
// kafkajs 2.2.4, its latest release, sets a timer with a negative delay after requests complete, and
// Node 24 warns about each one (tulios/kafkajs#1751). Node runs such a timer after 1 ms, which is what
// kafkajs means, so only that warning is dropped; every other one is printed as Node prints it.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning') process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
});
await import(entry);
