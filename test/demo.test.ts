import { afterAll, describe, expect, it } from 'vitest';
import { anomalydAsync } from './support/cli.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { testKafka, uniqueName } from './support/kafka.js';

/** `npm run demo` as a user runs it (on the suite's broker: KAFKA_BROKERS is set by the global setup). */
describe('anomalyd demo', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(() => daemon?.kill());

  it('streams spiky log sources, prints their alerts and a dead letter, and stops by itself', { timeout: 180_000 }, async () => {
    const r = await anomalydAsync(['demo', '--duration', '20', '--streams', '6', '--rate', '20'], { ANOMALYD_LOG_FORMAT: 'json' });
    expect(r.code, r.stderr).toBe(0);
    // A third of the streams (here fw-01, proxy-01) get one spike at their 40th/47th event.
    const opened = new Set([...r.stdout.matchAll(/ OPEN +(\S+)/g)].map((m) => m[1]));
    expect(opened).toContain('fw-01');
    expect(opened).toContain('proxy-01');
    expect(r.stdout).toMatch(/DEAD-LETTER non_finite_value: value "n\/a" is not a finite number/);
    expect(r.stderr).toMatch(/demo: sent \d+ events in [\d.]+ s \(\d+ events\/s\), \d+ alert message\(s\), 1 dead letter\(s\)/);
    // Episodes of the spiked sources beside those of the unspiked ones (the aim there is none), as the printed OPEN lines count them.
    const summary = /demo: alert episodes opened: (\d+) on 2 spiked source\(s\), (\d+) on 4 unspiked source\(s\) \(aim: 0\)/.exec(r.stderr);
    expect(summary, r.stderr).not.toBeNull();
    const opens = [...r.stdout.matchAll(/ OPEN +(\S+)/g)].map((m) => m[1]);
    const spiked = new Set(['fw-01', 'proxy-01']);
    expect(Number(summary![1])).toBe(opens.filter((s) => spiked.has(s)).length);
    expect(Number(summary![1])).toBeGreaterThanOrEqual(2);
    expect(Number(summary![2])).toBe(opens.filter((s) => !spiked.has(s)).length);
  });

  it('--traffic-only feeds a daemon running elsewhere, as the docker compose traffic service does, with recurring spikes', { timeout: 180_000 }, async () => {
    const input = uniqueName('traffic-input');
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 2 }] });
    await admin.disconnect();
    const config = writeTestConfig({
      brokers: process.env.KAFKA_BROKERS!,
      input,
      alerts: uniqueName('traffic-alerts'),
      deadLetter: uniqueName('traffic-dlq'),
      groupId: uniqueName('traffic-group'),
    });
    daemon = new DaemonProcess(config);
    await daemon.ready();
    // 3 streams: fw-01 spikes at its 120th event (after the day the detector spends learning a new source), and again every 150 events.
    const r = await anomalydAsync(['demo', '--traffic-only', '--config', config, '--streams', '3', '--rate', '20', '--spike-every', '150', '--duration', '15']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/starting a local Kafka broker|models:/);
    expect(r.stderr).toMatch(/demo: traffic only: into traffic-input/);
    const fwOpens = [...r.stdout.matchAll(/ OPEN +fw-01 /g)].length;
    expect(fwOpens, r.stdout).toBeGreaterThanOrEqual(2);

    const bad = await anomalydAsync(['demo', '--traffic-only', '--config', config, '--streams', '3', '--spike-every', '100']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--spike-every 100: must be above 120/);
  });
});
