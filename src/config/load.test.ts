import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from './load.js';

const minimal = `
kafka:
  brokers: \${BROKERS:-127.0.0.1:9092}
input:
  topics: [metrics]
models:
  eps: ./models/eps
streams:
  - match: "fw-*"
    model: eps
`;

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    parseConfig(text, '/etc/anomalyd/test.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('fills defaults, splits brokers, interpolates env and resolves model dirs against the file', () => {
    const { config, modelDirs } = parseConfig(minimal, '/etc/anomalyd/test.yaml', { BROKERS: 'k1:9092, k2:9093' });
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9093']);
    expect(config.inference).toEqual({ backend: 'auto', maxBatch: 1024, maxLatencyMs: 50, timeoutMs: 30_000, maxRetries: 2 });
    expect(config.daemon).toEqual({
      maxInFlight: 20_000,
      maxInFlightBytes: 64 * 1024 * 1024,
      maxMessageBytes: 1_000_000,
      maxActiveStreams: 100_000,
      idleEvictAfterMs: 86_400_000,
      shutdownTimeoutMs: 15_000,
    });
    expect(config.input.maxTimestampSkewMs).toBe(7 * 86_400_000);
    expect(config.alerts).toEqual({ topic: 'anomalyd.alerts', compression: 'none' });
    expect(config.streams[0].alert).toEqual({ openAfter: 1, resolveAfter: 5 });
    expect(modelDirs.eps).toBe('/etc/anomalyd/models/eps');
    expect(parseConfig(minimal, 'x.yaml', {}).config.kafka.brokers).toEqual(['127.0.0.1:9092']);
  });

  it('names the file, the path and what was expected', () => {
    const err = issuesOf(minimal.replace('model: eps', 'model: nope').replace('topics: [metrics]', 'topics: metrics'));
    expect(err.message).toContain('/etc/anomalyd/test.yaml');
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i.message]));
    expect(byPath['streams[0].model']).toMatch(/a model named in `models` \(one of: eps\)/);
    expect(byPath['input.topics']).toMatch(/expected array/);
    expect(err.issues.find((i) => i.path === 'streams[0].model')?.line).toBe(10);
  });

  it('rejects unknown fields, bad enums, bad regexes and rules with both or neither matcher', () => {
    const text = `${minimal}  - regex: "("\n    model: eps\n  - model: eps\ninference:\n  backend: gpu\n  maxbatch: 3\n`;
    const err = issuesOf(text);
    const paths = err.issues.map((i) => `${i.path}: ${i.message}`);
    expect(paths).toContainEqual(expect.stringMatching(/^inference: unknown field `maxbatch`/));
    expect(paths).toContainEqual(expect.stringMatching(/^inference\.backend: expected one of "auto", "tensorflow", "wasm", "cpu"/));
    expect(paths).toContainEqual(expect.stringMatching(/^streams\[1\]\.regex: expected a valid regular expression/));
    expect(paths).toContainEqual(expect.stringMatching(/^streams\[2\]: expected exactly one of `match` \(glob\) or `regex`/));
  });

  it('names an unset environment variable', () => {
    const err = issuesOf(minimal.replace('${BROKERS:-127.0.0.1:9092}', '${KAFKA_URL}'));
    expect(err.issues).toEqual([{ path: 'kafka.brokers', message: expect.stringMatching(/KAFKA_URL is not set/) }]);
  });

  it('reports YAML syntax errors with a line', () => {
    const err = issuesOf('kafka:\n  brokers: [a\n');
    expect(err.issues[0].message).toMatch(/YAML syntax/);
  });

  it('reports an unreadable file by name', () => {
    expect(() => loadConfig('/nonexistent/anomalyd.yaml')).toThrow(/\/nonexistent\/anomalyd.yaml: invalid configuration\n.*cannot read file/);
  });

  it('loads the shipped example config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'a.yaml'), minimal);
    expect(loadConfig(join(dir, 'a.yaml')).modelDirs.eps).toBe(join(dir, 'models/eps'));
    const shipped = loadConfig(resolve(__dirname, '../../config/anomalyd.yaml'), {});
    expect(shipped.modelDirs['eps-gru']).toBe(resolve(__dirname, '../../models/eps-gru'));
  });
});
