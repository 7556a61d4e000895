import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { repoRoot } from './paths.js';
import type { Progress } from './progress.js';

export interface WorkersRow {
  workers: number;
  /** Events committed while all members were in the group (the start-up rebalance excluded). */
  events: number;
  seconds: number;
  eventsPerSecond: number;
  exitCode: number;
  logFile: string;
}

export interface WorkersOptions {
  kafka: Kafka;
  brokers: string[];
  topic: string;
  counts: number[];
  progress: Progress;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `anomalyd run --workers N` as deployed (its own processes, the shipped model, default settings
 * apart from the topic and a fresh group reading from the start) on the filled bench topic, for each
 * N. The rate runs from the moment the group is stable with all N members to the commit that covers
 * the last event, counting the events committed in between, so the members' start-up is left out.
 */
export async function benchWorkers(opts: WorkersOptions): Promise<WorkersRow[]> {
  const rows: WorkersRow[] = [];
  const admin = opts.kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(opts.topic);
  const total = ends.reduce((s, e) => s + Number(e.high), 0);
  const committed = async (groupId: string) => {
    const [c] = await admin.fetchOffsets({ groupId, topics: [opts.topic] });
    return c.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  };
  try {
    for (const workers of opts.counts) {
      const tag = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
      const groupId = `bench-workers-${tag}`;
      const dir = mkdtempSync(join(tmpdir(), 'anomalyd-bench-workers-'));
      const config = join(dir, 'anomalyd.yaml');
      writeFileSync(
        config,
        [
          `kafka: { brokers: [${opts.brokers.join(', ')}], clientId: anomalyd-bench, groupId: ${groupId} }`,
          // The traffic is dated from 2026-01-01 but produced now: without this every event would be
          // dead-lettered as skewed, and the run would time the dead-letter path, not scoring.
          `input: { topics: [${opts.topic}], fromBeginning: true, maxTimestampSkewMs: 0 }`,
          `alerts: { topic: bench-alerts-${tag} }`,
          `deadLetter: { topic: bench-dlq-${tag} }`,
          `metrics: { host: 127.0.0.1, port: 0 }`,
          `models: { eps-gru: ${join(repoRoot(), 'models', 'eps-gru')} }`,
          `streams: [{ match: "*", model: eps-gru }]`,
        ].join('\n') + '\n',
      );
      const logFile = join(dir, 'daemon.log');
      const out = openSync(logFile, 'w');
      const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'anomalyd.js'), 'run', '--config', config, '--workers', String(workers)], {
        env: { ...process.env, ANOMALYD_LOG_FORMAT: 'json' },
        stdio: ['ignore', out, out],
      });
      const exited = new Promise<number>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 128 : -1))));
      opts.progress.start(`anomalyd run --workers ${workers}`, total);
      let t0 = 0;
      let c0 = 0;
      for (;;) {
        const { groups } = await admin.describeGroups([groupId]);
        if (groups[0]?.state === 'Stable' && groups[0].members.length === workers) {
          t0 = performance.now();
          c0 = await committed(groupId);
          break;
        }
        if (child.exitCode !== null) throw new Error(`anomalyd run --workers ${workers} exited (${child.exitCode}) before its group was stable; log: ${logFile}`);
        await sleep(50);
      }
      let done = c0;
      while (done < total) {
        await sleep(50);
        done = await committed(groupId);
        opts.progress.update(done);
        if (child.exitCode !== null) throw new Error(`anomalyd run --workers ${workers} exited (${child.exitCode}) before the end of the topic; log: ${logFile}`);
      }
      const seconds = (performance.now() - t0) / 1000;
      opts.progress.stop();
      child.kill('SIGTERM');
      const exitCode = await exited;
      rows.push({ workers, events: total - c0, seconds, eventsPerSecond: (total - c0) / seconds, exitCode, logFile });
    }
  } finally {
    await admin.disconnect();
  }
  return rows;
}
