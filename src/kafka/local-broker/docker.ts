import { existsSync } from 'node:fs';
import { request, type RequestOptions } from 'node:http';
import { join } from 'node:path';
import type { LocalKafka } from './types.js';

/** Confluent Platform 8.0 ships Apache Kafka 4.0, the oldest 4.x line; see docs/KAFKA-LOCAL.md. */
export const KAFKA_CONTAINER_IMAGE = 'confluentinc/cp-kafka:8.0.0';

/** Where the Docker engine API would be, following DOCKER_HOST, then the usual socket paths. */
export function dockerEndpoint(env: NodeJS.ProcessEnv): RequestOptions | undefined {
  const host = env.DOCKER_HOST?.trim();
  if (host) {
    if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
    if (host.startsWith('tcp://')) {
      const url = new URL(host.replace(/^tcp:/, 'http:'));
      return { host: url.hostname, port: Number(url.port || 2375) };
    }
    return undefined;
  }
  const candidates = ['/var/run/docker.sock'];
  if (env.XDG_RUNTIME_DIR) candidates.push(join(env.XDG_RUNTIME_DIR, 'docker.sock'));
  if (env.HOME) candidates.push(join(env.HOME, '.docker', 'run', 'docker.sock'));
  const socketPath = candidates.find((p) => existsSync(p));
  return socketPath ? { socketPath } : undefined;
}

/** True when a Docker engine answers `GET /_ping` within `timeoutMs`; never throws. */
export async function dockerEngineReachable(env: NodeJS.ProcessEnv, timeoutMs = 1_500): Promise<boolean> {
  const endpoint = dockerEndpoint(env);
  if (!endpoint) return false;
  return new Promise((resolve) => {
    const req = request({ ...endpoint, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Starts a single-node KRaft broker in a container via testcontainers (a dev dependency, loaded only here). */
export async function startWithTestcontainers(port: number | undefined): Promise<LocalKafka> {
  let mod: typeof import('@testcontainers/kafka');
  try {
    mod = await import('@testcontainers/kafka');
  } catch (err) {
    throw new Error(`a Docker engine is reachable but @testcontainers/kafka is not installed (npm install --include=dev): ${(err as Error).message}`);
  }
  // No retention by time, as the Maven broker (maven-broker.ts): replayed input carries old event times.
  let container = new mod.KafkaContainer(KAFKA_CONTAINER_IMAGE).withKraft().withEnvironment({ KAFKA_LOG_RETENTION_MS: '-1' });
  if (port !== undefined) container = container.withExposedPorts({ container: 9093, host: port });
  const started = await container.start();
  let stopped = false;
  return {
    brokers: [`${started.getHost()}:${started.getMappedPort(9093)}`],
    how: 'testcontainers',
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await started.stop();
    },
  };
}
