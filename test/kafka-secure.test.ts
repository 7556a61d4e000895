import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../src/pipeline/types.js';
import { LocalCa } from '../src/tls/local-ca.js';
import { anomalydAsync } from './support/cli.js';
import { cleanSegments } from './support/clean-segments.js';
import { DaemonProcess, repo, writeTestConfig, type LogLine } from './support/daemon-process.js';
import { HALF_HOUR, T0 } from './support/eps.js';
import { kcatScramEnv } from './support/kcat.js';
import { uniqueName, waitForCommitted } from './support/kafka.js';

interface Secured {
  bootstrap: string;
  ca: string;
  username: string;
  password: string;
}

/** `anomalyd kafka-local --secure` as a user runs it; resolves with the lines it prints. */
function startSecureBroker(): Promise<{ child: ChildProcess; printed: Secured; stdout: string[] }> {
  const child = spawn(process.execPath, [join(repo, 'bin', 'anomalyd.js'), 'kafka-local', '--secure', '--via', 'maven'], {
    cwd: repo,
    env: { ...process.env, ANOMALYD_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      const kv = Object.fromEntries(stdout.map((l) => l.split(/=(.*)/s).slice(0, 2)));
      if (kv.password !== undefined) resolve({ child, stdout, printed: kv as unknown as Secured });
    });
    child.once('exit', (code) => reject(new Error(`kafka-local --secure exited (${code}) before printing its settings:\n${stderr}`)));
  });
}

describe('against a SASL_SSL broker (SCRAM-SHA-512, a generated CA)', () => {
  let broker: Awaited<ReturnType<typeof startSecureBroker>>;
  let s: Secured;
  let kafka: Kafka;
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    broker = await startSecureBroker();
    s = broker.printed;
    kafka = new Kafka({
      clientId: 'secure-test',
      brokers: [s.bootstrap],
      ssl: { ca: [readFileSync(s.ca, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: s.username, password: s.password },
      logLevel: logLevel.NOTHING,
    });
  });

  afterAll(async () => {
    for (const d of daemons) d.kill();
    if (broker && broker.child.exitCode === null) {
      broker.child.kill('SIGTERM');
      await new Promise((r) => broker.child.once('exit', r));
    }
  });

  const secureKafkaLines = (password: string, ca: string) =>
    `  ssl:\n    ca: ${ca}\n  sasl:\n    mechanism: scram-sha-512\n    username: ${s.username}\n    password: \${file:${secretFile(password)}}\n`;

  it('kafka-local --secure prints the bootstrap address, the CA file and the credentials', () => {
    expect(broker.stdout[0]).toMatch(/^bootstrap=127\.0\.0\.1:\d+$/);
    expect(s.username).toBe('anomalyd');
    expect(s.password.length).toBeGreaterThanOrEqual(20);
    expect(readFileSync(s.ca, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // The listener is TLS: the broker presents a certificate that the printed CA verifies.
    const verify = spawnSync('openssl', ['s_client', '-connect', s.bootstrap, '-CAfile', s.ca, '-verify_return_error', '-brief'], { input: '', encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toMatch(/Verification: OK/);
  });

  it('the daemon consumes events that kcat produces over SASL_SSL and publishes alerts that kcat reads back', { timeout: 240_000 }, async () => {
    const input = uniqueName('sec-input');
    const alerts = uniqueName('sec-alerts');
    const groupId = uniqueName('sec-group');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 2 }] });

    // The password reaches the daemon through ${file:…}, as from a mounted Kubernetes Secret.
    const config = writeTestConfig({ brokers: s.bootstrap, input, alerts, deadLetter: uniqueName('sec-dlq'), groupId, scoring: 'model-only', kafka: secureKafkaLines(s.password, s.ca), sections: { input: 'maxTimestampSkewMs: 0' } });
    const daemon = new DaemonProcess(config);
    daemons.push(daemon);
    await daemon.ready();

    const { values, offsets } = await cleanSegments('timeseries2.csv', 40);
    const [edge, core] = [offsets[0]!, offsets[offsets.length - 1]!];
    const lines: string[] = [];
    for (let row = 0; row < 40; row++) {
      const ts = T0 + row * HALF_HOUR;
      lines.push(`edge-fw:${JSON.stringify({ ts, value: row === 20 ? values[edge + row]! * 2.5 : values[edge + row] })}`);
      lines.push(`core-fw:${JSON.stringify({ ts, value: values[core + row] })}`);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'kcat-sec-')), 'events.txt');
    writeFileSync(file, lines.join('\n') + '\n');
    const kcatSecurity = ['-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', `ssl.ca.location=${s.ca}`, '-X', `sasl.username=${s.username}`, '-X', `sasl.password=${s.password}`];
    const env = kcatScramEnv();
    execFileSync('kcat', ['-b', s.bootstrap, ...kcatSecurity, '-t', input, '-P', '-K', ':', '-l', file], { env });

    await waitForCommitted(admin, groupId, input);
    await admin.disconnect();
    const out = execFileSync('kcat', ['-b', s.bootstrap, ...kcatSecurity, '-t', alerts, '-C', '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\n'], { encoding: 'utf8', env });
    const opens = out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .map(([key, json]) => ({ key, alert: JSON.parse(json!) as Alert }))
      .filter((r) => r.alert.state === 'open');
    expect(opens.map((r) => r.key)).toEqual(['edge-fw']);
    expect(opens[0]!.alert.startIndex).toBeGreaterThanOrEqual(20);
    expect(opens[0]!.alert.startIndex).toBeLessThanOrEqual(24);
    expect(await daemon.stop()).toBe(0);
  });

  it('the demo runs through it with config/anomalyd-sasl-ssl.yaml', { timeout: 240_000 }, async () => {
    const r = await anomalydAsync(['demo', '--config', 'config/anomalyd-sasl-ssl.yaml', '--duration', '20', '--streams', '6', '--rate', '20'], {
      KAFKA_BROKERS: s.bootstrap,
      KAFKA_CA: s.ca,
      KAFKA_USERNAME: s.username,
      KAFKA_PASSWORD: s.password,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/using the cluster at KAFKA_BROKERS \(TLS: true, SASL: scram-sha-512\)/);
    const opened = new Set([...r.stdout.matchAll(/ OPEN +(\S+)/g)].map((m) => m[1]));
    expect(opened).toContain('fw-01');
    expect(r.stderr).toMatch(/demo: sent \d+ events in [\d.]+ s \(\d+ events\/s\), [1-9]\d* alert message\(s\)/);
  });

  /** Starts the daemon with `kafka` lines, expects it to stop by itself with one fatal line naming `cause`. */
  async function refused(kafkaLines: string, cause: string, brokers = s.bootstrap): Promise<LogLine> {
    const config = writeTestConfig({ brokers, input: uniqueName('sec-in'), alerts: uniqueName('sec-al'), deadLetter: uniqueName('sec-dl'), groupId: uniqueName('sec-g'), kafka: kafkaLines });
    const daemon = new DaemonProcess(config);
    daemons.push(daemon);
    const code = await Promise.race([daemon.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 90_000).unref())]);
    expect(code, daemon.tail()).toBe(1);
    const fatal = daemon.logs.filter((l) => l.level === 60);
    expect(fatal, daemon.tail()).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ cause, msg: `Kafka connection refused: ${cause}; not retrying` });
    // Refused on the first diagnosis, not after a round of retries.
    expect(daemon.logs.filter((l) => /failed; retrying/.test(l.msg))).toEqual([]);
    return fatal[0]!;
  }

  it('refuses a wrong password: authentication failed, exit 1, no retry loop', { timeout: 120_000 }, async () => {
    const fatal = await refused(secureKafkaLines('not-the-password', s.ca), 'authentication failed');
    expect(fatal.detail).toMatch(/invalid credentials with SASL mechanism SCRAM-SHA-512/);
  });

  it('refuses a broker certificate from an unknown CA: certificate not trusted, exit 1', { timeout: 120_000 }, async () => {
    const otherCa = join(mkdtempSync(join(tmpdir(), 'other-ca-')), 'ca.pem');
    writeFileSync(otherCa, LocalCa.create('some other CA').cert);
    const fatal = await refused(secureKafkaLines(s.password, otherCa), 'certificate not trusted');
    expect(fatal.hint).toMatch(/kafka\.ssl\.ca/);
  });

  it('refuses plaintext to the SASL_SSL port: TLS expected, exit 1', { timeout: 120_000 }, async () => {
    const fatal = await refused(`  sasl:\n    mechanism: scram-sha-512\n    username: ${s.username}\n    password: ${s.password}\n`, 'TLS expected');
    expect(fatal.detail).toBe(`${s.bootstrap} closed the plaintext connection and accepts a TLS handshake`);
  });

  it('with allowInsecure, connects without verifying the certificate and warns about it at start', { timeout: 120_000 }, async () => {
    const input = uniqueName('sec-insecure');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input }] });
    await admin.disconnect();
    const kafkaLines = `  allowInsecure: true\n  ssl:\n    rejectUnauthorized: false\n  sasl:\n    mechanism: scram-sha-512\n    username: ${s.username}\n    password: \${file:${secretFile(s.password)}}\n`;
    const daemon = new DaemonProcess(writeTestConfig({ brokers: s.bootstrap, input, alerts: uniqueName('sec-al'), deadLetter: uniqueName('sec-dl'), groupId: uniqueName('sec-g'), kafka: kafkaLines }));
    daemons.push(daemon);
    await daemon.ready();
    const warnings = daemon.logs.filter((l) => l.level === 40 && l.msg.startsWith('insecure Kafka connection allowed'));
    expect(warnings.map((w) => w.msg)).toEqual(["insecure Kafka connection allowed: kafka.ssl.rejectUnauthorized is false: the broker's certificate is not verified"]);
    expect(await daemon.stop()).toBe(0);
  });

  it('refuses TLS to a plaintext listener: broker does not speak TLS, exit 1', { timeout: 120_000 }, async () => {
    const plaintext = process.env.KAFKA_BROKERS!.split(',')[0]!;
    const fatal = await refused(`  ssl:\n    ca: ${s.ca}\n`, 'broker does not speak TLS', plaintext);
    expect(fatal.detail).toMatch(new RegExp(`^${plaintext} failed the TLS handshake .* and answers Kafka requests in plaintext$`));
  });
});

function secretFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'secret-')), 'kafka-password');
  writeFileSync(file, `${content}\n`, { mode: 0o600 });
  return file;
}
