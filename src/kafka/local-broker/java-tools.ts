import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` from PATH. */
export function javaCommand(env: NodeJS.ProcessEnv): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Throws a clear error unless a Java 17+ runtime is available (Kafka 4 brokers need 17). */
export function requireJava17(env: NodeJS.ProcessEnv): string {
  const java = javaCommand(env);
  const res = spawnSync(java, ['-version'], { encoding: 'utf8', env, timeout: 30_000 });
  if (res.error) throw new Error(`Java 17+ is needed to run a local Kafka broker, but "${java} -version" failed: ${res.error.message}`);
  const text = `${res.stderr}${res.stdout}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : NaN;
  if (!(major >= 17)) throw new Error(`Java 17+ is needed to run a local Kafka broker; "${java} -version" says: ${text.split('\n')[0]?.trim()}`);
  return java;
}

/** Throws a clear error unless Maven is on PATH. */
export function requireMaven(env: NodeJS.ProcessEnv): string {
  const res = spawnSync('mvn', ['-v'], { encoding: 'utf8', env, timeout: 60_000 });
  if (res.error || res.status !== 0) {
    throw new Error(`Maven (mvn) is needed to fetch Kafka from Maven Central, but "mvn -v" failed: ${res.error?.message ?? res.stderr.trim()}`);
  }
  return 'mvn';
}
