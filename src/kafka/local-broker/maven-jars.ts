import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireMaven } from './java-tools.js';
import { repoRoot } from './repo-root.js';

export interface KafkaJars {
  /** Apache Kafka version the jars are for. */
  version: string;
  /** Absolute jar paths, in classpath order. */
  jars: string[];
  /** The file listing `jars`, one per line; its presence marks a complete download. */
  classpathFile: string;
  /** False when the cache already held every jar and Maven was not run. */
  downloaded: boolean;
}

export function pomPath(): string {
  return join(repoRoot(), 'scripts', 'kafka', 'pom.xml');
}

/** The Kafka version the pom pins, unless ANOMALYD_KAFKA_VERSION overrides it. */
export function kafkaVersion(env: NodeJS.ProcessEnv): string {
  const override = env.ANOMALYD_KAFKA_VERSION?.trim();
  if (override) {
    if (!/^\d+\.\d+\.\d+$/.test(override)) throw new Error(`ANOMALYD_KAFKA_VERSION: "${override}" is not a version like 4.4.0`);
    return override;
  }
  const pom = pomPath();
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(readFileSync(pom, 'utf8'));
  if (!match) throw new Error(`${pom}: no <kafka.version> property`);
  return match[1]!;
}

/** One cache folder per Kafka version and pom content, so editing the pom re-resolves. */
function cacheFolder(cacheDir: string, version: string): string {
  const pomHash = createHash('sha256').update(readFileSync(pomPath())).digest('hex').slice(0, 10);
  return join(cacheDir, `kafka-${version}-${pomHash}`);
}

function readCachedClasspath(classpathFile: string): string[] | undefined {
  if (!existsSync(classpathFile)) return undefined;
  const jars = readFileSync(classpathFile, 'utf8').split('\n').filter(Boolean);
  return jars.length > 0 && jars.every((j) => existsSync(j)) ? jars : undefined;
}

/**
 * Kafka's broker jars and their runtime dependencies, resolved from Maven Central into `cacheDir`
 * with `mvn dependency:copy-dependencies` on the first call and reused afterwards.
 */
export async function resolveKafkaJars(cacheDir: string, env: NodeJS.ProcessEnv, onProgress?: (m: string) => void): Promise<KafkaJars> {
  const version = kafkaVersion(env);
  const folder = cacheFolder(cacheDir, version);
  const classpathFile = join(folder, 'classpath.txt');
  const cached = readCachedClasspath(classpathFile);
  if (cached) return { version, jars: cached, classpathFile, downloaded: false };

  const mvn = requireMaven(env);
  const staging = join(folder, `jars.${process.pid}.tmp`);
  const jarsDir = join(folder, 'jars');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  onProgress?.(`resolving Apache Kafka ${version} from Maven Central into ${folder}`);
  const args = [
    '-q', '-B', '-f', pomPath(),
    'dependency:copy-dependencies',
    `-Dkafka.version=${version}`,
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
  ];
  const output = await runCollecting(mvn, args, env);
  if (output.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`mvn ${args.join(' ')} exited with ${output.code}:\n${tail(output.text, 30)}`);
  }
  // Publish atomically so a concurrent or interrupted run never sees half a jar set.
  rmSync(jarsDir, { recursive: true, force: true });
  renameSync(staging, jarsDir);
  const jars = readdirSync(jarsDir).filter((f) => f.endsWith('.jar')).sort().map((f) => join(jarsDir, f));
  if (!jars.some((j) => /[/\\]kafka_2\.13-/.test(j))) throw new Error(`mvn finished but ${jarsDir} holds no kafka_2.13 jar`);
  writeFileSync(`${classpathFile}.tmp`, `${jars.join('\n')}\n`);
  renameSync(`${classpathFile}.tmp`, classpathFile);
  return { version, jars, classpathFile, downloaded: true };
}

function runCollecting(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, text }));
  });
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
