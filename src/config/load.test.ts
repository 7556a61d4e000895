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
      sessionTimeoutMs: 30_000,
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

  it('gives interpolated values the type the schema expects: numbers, booleans, union branches, nested rules', () => {
    const text = `
kafka:
  brokers: k1:9092
  ssl: \${KAFKA_SSL:-false}
input:
  topics: [metrics]
  fromBeginning: \${FROM_BEGINNING}
metrics:
  port: \${METRICS_PORT:-9464}
  enabled: \${METRICS_ENABLED:-true}
models:
  eps: ./models/eps
streams:
  - match: "fw-*"
    model: eps
    threshold: \${THRESHOLD:-0.02}
    alert:
      openAfter: \${OPEN_AFTER:-2}
`;
    const { config } = parseConfig(text, 'x.yaml', { METRICS_ENABLED: 'FALSE', FROM_BEGINNING: 'true', OPEN_AFTER: ' 3 ' });
    expect(config.metrics.port).toBe(9464);
    expect(config.metrics.enabled).toBe(false);
    expect(config.input.fromBeginning).toBe(true);
    expect(config.kafka.ssl).toBe(false);
    expect(config.streams[0].threshold).toBe(0.02);
    expect(config.streams[0].alert.openAfter).toBe(3);
  });

  it('keeps literal strings strict and shows an interpolated value that does not fit', () => {
    const literal = issuesOf(`${minimal}metrics:\n  port: "9464"\n`);
    expect(literal.issues).toEqual([{ path: 'metrics.port', message: 'expected number', line: 12 }]);
    const bad = issuesOf(`${minimal}metrics:\n  port: \${METRICS_PORT:-9464}\n  enabled: \${ON}\n`, { METRICS_PORT: 'ninety', ON: 'yes' });
    const byPath = Object.fromEntries(bad.issues.map((i) => [i.path, i.message]));
    expect(byPath['metrics.port']).toBe('expected number (interpolated value "ninety")');
    expect(byPath['metrics.enabled']).toBe('expected boolean (interpolated value "yes")');
  });

  it('refuses stream regexes that need backtracking (lookaround, backreferences) and accepts catastrophic-looking ones RE2 runs linearly', () => {
    const text = `${minimal}  - regex: "^(?!test-).*"\n    model: eps\n  - regex: "^(fw)-\\\\1$"\n    model: eps\n  - regex: "^(a+)+$"\n    model: eps\n`;
    const err = issuesOf(text);
    expect(err.issues.map((i) => i.path)).toEqual(['streams[1].regex', 'streams[2].regex']);
    expect(err.issues[0].message).toMatch(/^expected a valid regular expression in RE2 syntax, which matches in linear time \(no lookaround, no backreferences\): .*\(\?!/);
    expect(err.issues[1].message).toMatch(/invalid escape sequence: `\\1`/);
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
    expect(shipped.config.metrics.host).toBe('127.0.0.1');
    const secure = loadConfig(resolve(__dirname, '../../config/anomalyd-sasl-ssl.yaml'), { KAFKA_BROKERS: 'k:9093', KAFKA_CA: '/ca.pem', KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'p' });
    expect(secure.config.kafka).toMatchObject({ ssl: { ca: '/ca.pem', rejectUnauthorized: true }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
  });
});

describe('secrets from files', () => {
  const secure = (password: string, extra = '') =>
    minimal.replace(
      '  brokers: ${BROKERS:-127.0.0.1:9092}\n',
      `  brokers: \${BROKERS:-127.0.0.1:9092}\n  ssl: true\n  sasl:\n    mechanism: scram-sha-512\n    username: anomalyd\n    password: ${password}\n${extra}`,
    );

  it('reads ${file:PATH} with its trailing newline removed, and does not expand placeholders inside the secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    writeFileSync(join(dir, 'kafka-password'), 'pa$${HOME}ss\n');
    const { config } = parseConfig(secure(`\${file:${join(dir, 'kafka-password')}}`), '/etc/anomalyd/test.yaml', { HOME: '/root' });
    expect(config.kafka.sasl?.password).toBe('pa$${HOME}ss');
  });

  it('keeps inner newlines and removes only one trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    writeFileSync(join(dir, 'p'), 'line1\nline2\n\n');
    const { config } = parseConfig(secure(`"prefix-\${file:${join(dir, 'p')}}"`), '/etc/anomalyd/test.yaml', {});
    expect(config.kafka.sasl?.password).toBe('prefix-line1\nline2\n');
  });

  it('names the config file, the field and the secret path when the secret file is missing', () => {
    const err = issuesOf(secure('${file:/run/secrets/no-such-password}'));
    expect(err.message).toMatch(/^\/etc\/anomalyd\/test.yaml: invalid configuration/);
    expect(err.issues).toEqual([
      { path: 'kafka.sasl.password', message: 'cannot read secret file /run/secrets/no-such-password (${file:/run/secrets/no-such-password}): no such file' },
    ]);
  });

  it('reports a directory given as a secret file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    const err = issuesOf(secure(`\${file:${dir}}`));
    expect(err.issues[0]).toMatchObject({ path: 'kafka.sasl.password', message: expect.stringMatching(/is a directory$/) });
  });
});

describe('insecure Kafka settings', () => {
  const kafka = (lines: string) => minimal.replace('  brokers: ${BROKERS:-127.0.0.1:9092}\n', `  brokers: 127.0.0.1:9092\n${lines}`);

  it('refuses ssl.rejectUnauthorized: false without allowInsecure, naming the field', () => {
    const err = issuesOf(kafka('  ssl:\n    rejectUnauthorized: false\n'));
    expect(err.issues).toEqual([{ path: 'kafka.ssl.rejectUnauthorized', line: 5, message: expect.stringMatching(/^expected kafka.allowInsecure: true alongside/) }]);
  });

  it('refuses SASL PLAIN without TLS unless allowInsecure', () => {
    const plain = '  sasl:\n    mechanism: plain\n    username: u\n    password: p\n';
    const err = issuesOf(kafka(plain));
    expect(err.issues).toEqual([{ path: 'kafka.sasl.mechanism', line: 5, message: expect.stringMatching(/kafka.ssl with sasl.mechanism plain .*allowInsecure/) }]);
    expect(parseConfig(kafka(`${plain}  ssl: true\n`), 'x.yaml', {}).config.kafka.sasl?.mechanism).toBe('plain');
    expect(parseConfig(kafka(`${plain}  allowInsecure: true\n`), 'x.yaml', {}).config.kafka.allowInsecure).toBe(true);
  });

  it('accepts rejectUnauthorized: false with allowInsecure: true', () => {
    const { config } = parseConfig(kafka('  allowInsecure: true\n  ssl:\n    rejectUnauthorized: false\n'), 'x.yaml', {});
    expect(config.kafka.ssl).toEqual({ rejectUnauthorized: false });
  });
});
