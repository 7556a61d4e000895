import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../src/pipeline/types.js';
import { DaemonProcess, writeTestConfig } from './support/daemon-process.js';
import { cleanSegments } from './support/clean-segments.js';
import { HALF_HOUR } from './support/eps.js';

/** Whole half-hours, 40 of them before now. */
const RECENT = Math.floor(Date.now() / HALF_HOUR) * HALF_HOUR - 40 * HALF_HOUR;
import { testKafka, uniqueName, waitForCommitted } from './support/kafka.js';
import { requireTool } from './support/tools.js';

/** Interoperability: kcat (librdkafka), not kafkajs, produces the events and reads the alerts. */
describe('with kcat as the producer and the alert reader', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(() => daemon?.kill());

  it('turns kcat-produced events into alerts that kcat reads back', async () => {
    requireTool('kcat', ['-V'], 'the Debian package kcat');
    const brokers = process.env.KAFKA_BROKERS!;
    const input = uniqueName('kcat-input');
    const alerts = uniqueName('kcat-alerts');
    const groupId = uniqueName('kcat-group');
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 2 }] });

    daemon = new DaemonProcess(writeTestConfig({ brokers, input, alerts, deadLetter: uniqueName('kcat-dlq'), groupId, scoring: 'model-only' }));
    await daemon.ready();

    // Two streams: "edge-fw" gets a spike at row 20, "core-fw" stays normal. Lines are key:json.
    const { values, offsets } = await cleanSegments('timeseries2.csv', 40);
    const [edge, core] = [offsets[0], offsets[offsets.length - 1]];
    const lines: string[] = [];
    for (let row = 0; row < 40; row++) {
      // kcat sends with the current time as message timestamp: the events are recent, within input.maxTimestampSkewMs.
      const ts = RECENT + row * HALF_HOUR;
      lines.push(`edge-fw:${JSON.stringify({ ts, value: row === 20 ? values[edge + row] * 2.5 : values[edge + row] })}`);
      lines.push(`core-fw:${JSON.stringify({ ts, value: values[core + row] })}`);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'kcat-')), 'events.txt');
    writeFileSync(file, lines.join('\n') + '\n');
    // No "stream" field: the stream id comes from the message key.
    execFileSync('kcat', ['-b', brokers, '-t', input, '-P', '-K', ':', '-l', file]);

    await waitForCommitted(admin, groupId, input);
    await admin.disconnect();
    const out = execFileSync('kcat', ['-b', brokers, '-t', alerts, '-C', '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\n'], { encoding: 'utf8' });
    const received = out.trim().split('\n').filter(Boolean).map((l) => {
      const [key, json] = l.split('\t');
      return { key, alert: JSON.parse(json) as Alert };
    });
    const opens = received.filter((r) => r.alert.state === 'open');
    expect(opens.map((r) => r.key)).toEqual(['edge-fw']);
    expect(opens[0].alert).toMatchObject({ stream: 'edge-fw', model: 'eps-gru' });
    expect(opens[0].alert.startIndex).toBeGreaterThanOrEqual(20);
    expect(opens[0].alert.startIndex).toBeLessThanOrEqual(24);
    expect(await daemon.stop()).toBe(0);
  });
});
