import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerEndpoint, dockerEngineReachable } from './docker.js';
import { brokersFromEnv } from './from-env.js';

describe('brokersFromEnv', () => {
  it('splits KAFKA_BROKERS on commas and trims', () => {
    expect(brokersFromEnv({ KAFKA_BROKERS: ' 127.0.0.1:9092, kafka-2:19092 ' })).toEqual(['127.0.0.1:9092', 'kafka-2:19092']);
  });
  it('treats unset or blank as absent', () => {
    expect(brokersFromEnv({})).toBeUndefined();
    expect(brokersFromEnv({ KAFKA_BROKERS: '  ' })).toBeUndefined();
  });
  it('names the variable and the bad entry', () => {
    expect(() => brokersFromEnv({ KAFKA_BROKERS: '127.0.0.1:9092,localhost' })).toThrow(/KAFKA_BROKERS: "localhost" is not host:port/);
  });
});

describe('Docker engine detection', () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function serveOnSocket(handler: Parameters<typeof createServer>[1]): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), 'anomalyd-docker-'));
    const socketPath = join(dir, 'docker.sock');
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(socketPath, r));
    return socketPath;
  }

  it('follows DOCKER_HOST for unix and tcp endpoints', () => {
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://docker.example:2376' })).toEqual({ host: 'docker.example', port: 2376 });
  });

  it('is unreachable when the socket does not exist', async () => {
    expect(await dockerEngineReachable({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' })).toBe(false);
  });

  it('is reachable when the engine answers /_ping with 200', async () => {
    const socketPath = await serveOnSocket((req, res) => {
      res.writeHead(req.url === '/_ping' ? 200 : 404).end('OK');
    });
    expect(await dockerEngineReachable({ DOCKER_HOST: `unix://${socketPath}` })).toBe(true);
  });

  it('is unreachable when the engine answers with an error or not at all', async () => {
    const failing = await serveOnSocket((_req, res) => res.writeHead(500).end());
    expect(await dockerEngineReachable({ DOCKER_HOST: `unix://${failing}` })).toBe(false);
    await new Promise((r) => server!.close(r));
    const silent = await serveOnSocket(() => {});
    expect(await dockerEngineReachable({ DOCKER_HOST: `unix://${silent}` }, 300)).toBe(false);
  });
});
