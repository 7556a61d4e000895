import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const repo = resolve(__dirname, '..', '..');
export const sharedDir = resolve(repo, '..', 'shared');

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** The real `anomalyd run` as a child process, its JSON log lines collected. */
export class DaemonProcess {
  readonly logs: LogLine[] = [];
  readonly exited: Promise<number>;
  private readonly waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  private readonly child: ChildProcess;

  /** `nodeArgs` go before the script, e.g. `--import` of a file that misbehaves inside the daemon's process; `args` after `run --config FILE`. */
  constructor(configFile: string, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = [], args: string[] = []) {
    this.child = spawn(process.execPath, [...nodeArgs, join(repo, 'bin', 'anomalyd.js'), 'run', '--config', configFile, ...args], {
      cwd: repo,
      env: { ...process.env, ANOMALYD_LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    // ANOMALYD_TEST_LOG_DIR keeps every daemon's log lines in a file of its own, for reading after a run.
    const keep = process.env.ANOMALYD_TEST_LOG_DIR ? join(process.env.ANOMALYD_TEST_LOG_DIR, `daemon-${this.child.pid}.log`) : undefined;
    createInterface({ input: this.child.stderr! }).on('line', (text) => {
      if (keep !== undefined) appendFileSync(keep, `${text}\n`);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: nativeLogLevel(text), msg: text };
      }
      this.logs.push(line);
      for (const w of [...this.waiters]) {
        if (w.test(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    this.exited = new Promise((r) => this.child.on('exit', (code, signal) => r(code ?? (signal ? 128 : -1))));
  }

  /** Resolves with the first log line (past or future) that passes `test`; rejects if the daemon exits first. */
  waitForLog(test: (l: LogLine) => boolean, what: string, timeoutMs = 120_000): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; last logs:\n${this.tail()}`)), timeoutMs);
      this.waiters.push({ test, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void this.exited.then((code) => reject(new Error(`daemon exited (${code}) before ${what}; last logs:\n${this.tail()}`)));
    });
  }

  async ready(): Promise<{ metricsUrl: string }> {
    const served = await this.waitForLog((l) => l.msg === 'serving metrics', 'the metrics server');
    await this.waitForLog((l) => l.msg === 'joined the consumer group', 'joining the consumer group');
    return { metricsUrl: String(served.url).replace(/\/metrics$/, '') };
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  tail(n = 15): string {
    return this.logs.slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }
}

/** A config file for one test: its own topics and group, the pretrained EPS model, metrics on a free port. */
const MODEL_ONLY_LINES = `    scoring:
      method: raw
      normalize: none
    silence:
      after: 0
`;

export function writeTestConfig(opts: {
  brokers: string;
  input: string;
  alerts: string;
  deadLetter: string;
  groupId: string;
  /** Glob of the one stream rule. */
  match?: string;
  /** More lines of the `kafka` section (indented two spaces), e.g. ssl and sasl. */
  kafka?: string;
  /** More lines of the `metrics` section (indented two spaces), e.g. webConfigFile. */
  metrics?: string;
  /** inference.maxBatch; default 512. */
  maxBatch?: number;
  extra?: string;
  /**
   * `model-only`: the autoencoder alone against its threshold on raw values, no silence episodes —
   * for tests of the daemon's plumbing that inject spikes into the first hours of a stream, which
   * the default detector spends learning the stream.
   */
  scoring?: 'default' | 'model-only';
  /** Further lines for these sections, e.g. `{ daemon: 'maxMessageBytes: 30000' }`. */
  sections?: { input?: string; alerts?: string; daemon?: string; inference?: string };
}): string {
  const more = (section: keyof NonNullable<typeof opts.sections>) =>
    (opts.sections?.[section] ?? '')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => `\n  ${l}`)
      .join('');
  const dir = mkdtempSync(join(tmpdir(), 'anomalyd-test-'));
  const file = join(dir, 'anomalyd.yaml');
  writeFileSync(
    file,
    `kafka:
  brokers: ${opts.brokers}
  clientId: anomalyd-test
  groupId: ${opts.groupId}
${opts.kafka ?? ''}input:
  topics: [${opts.input}]
  fromBeginning: true${more('input')}
alerts:
  topic: ${opts.alerts}${more('alerts')}
deadLetter:
  topic: ${opts.deadLetter}
metrics:
  host: 127.0.0.1
  port: 0
${opts.metrics ?? ''}inference:
  maxBatch: ${opts.maxBatch ?? 512}
  maxLatencyMs: 20${more('inference')}
daemon:
  shutdownTimeoutMs: 20000${more('daemon')}
models:
  eps-gru: ${join(repo, 'models', 'eps-gru')}
streams:
  - match: "${opts.match ?? '*'}"
    model: eps-gru
    alert:
      openAfter: 1
      resolveAfter: 5
${opts.scoring === 'model-only' ? MODEL_ONLY_LINES : ''}${opts.extra ?? ''}`,
  );
  return file;
}

/**
 * A line the daemon did not write as JSON: native TensorFlow logs through glog (`I0000 …`, `W…`,
 * `E…`, `F…`, and absl's one-time "WARNING: All log messages before absl::InitializeLog()…") at
 * their own severity; anything else (a stack trace, a crash) counts as an error.
 */
function nativeLogLevel(text: string): number {
  if (text.startsWith('WARNING: All log messages before absl::InitializeLog()')) return 40;
  const glog = /^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\]/.exec(text);
  if (glog === null) return 50;
  return { I: 30, W: 40, E: 50, F: 60 }[glog[1] as 'I' | 'W' | 'E' | 'F'];
}
