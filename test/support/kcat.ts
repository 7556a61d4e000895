import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repo } from './daemon-process.js';

/** librdkafka before 2.6.1 fails SCRAM against Kafka 4 (see scripts/kcat/fetch-librdkafka.sh). */
const SCRAM_FIXED = [2, 6, 1];

function librdkafkaVersion(env: NodeJS.ProcessEnv): number[] {
  const out = execFileSync('kcat', ['-V'], { encoding: 'utf8', env });
  const m = /librdkafka (\d+)\.(\d+)\.(\d+)/.exec(out);
  if (!m) throw new Error(`cannot read the librdkafka version from kcat -V:\n${out}`);
  return m.slice(1).map(Number);
}

function atLeast(v: number[], min: number[]): boolean {
  for (let i = 0; i < min.length; i++) if (v[i] !== min[i]) return v[i]! > min[i]!;
  return true;
}

/**
 * The environment in which kcat can authenticate with SCRAM to a Kafka 4 broker: unchanged when its
 * librdkafka is recent enough, else with LD_LIBRARY_PATH on a newer librdkafka (fetched once into .cache).
 */
export function kcatScramEnv(): NodeJS.ProcessEnv {
  if (atLeast(librdkafkaVersion(process.env), SCRAM_FIXED)) return process.env;
  const dir = execFileSync('bash', [join(repo, 'scripts', 'kcat', 'fetch-librdkafka.sh')], { encoding: 'utf8' }).trim();
  const env = { ...process.env, LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  const v = librdkafkaVersion(env);
  if (!atLeast(v, SCRAM_FIXED)) throw new Error(`kcat still runs librdkafka ${v.join('.')} with LD_LIBRARY_PATH=${dir}`);
  return env;
}
