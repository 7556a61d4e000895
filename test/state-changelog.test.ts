import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { readChangelog } from '../src/kafka/changelog.js';
import { CHANGELOG_TOPIC_HEADER, changelogMessage } from '../src/kafka/messages.js';
import type { StreamSnapshot } from '../src/pipeline/types.js';
import { testKafka, uniqueName } from './support/kafka.js';

const state = (count: number): StreamSnapshot => ({
  v: 2,
  windows: { ring: [1, 2, 3, 4, 5], count, lastTs: 1767339000000, nextIndex: count },
  scoring: { method: 'context', profile: { cadenceMs: 1_800_000, slots: Float32Array.of(9.25, NaN), seen: Uint8Array.of(2, 0), weekendOffset: 0, weekendPoints: 0 } },
});

/** A restore against the real broker: what a member that takes input partitions loads from the changelog. */
describe('reading the state changelog', () => {
  let kafka: Kafka;
  let admin: Admin;
  const changelog = uniqueName('changelog');
  const [eps, other] = [uniqueName('eps'), uniqueName('other')];
  const unreadable: string[] = [];
  let restored: Awaited<ReturnType<typeof readChangelog>>;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: changelog, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: changelog,
      messages: [
        changelogMessage('a', state(1), { topic: eps, partition: 0 }),
        changelogMessage('a', state(2), { topic: eps, partition: 0 }),
        // Another input topic's stream in the same changelog partition: not this member's.
        changelogMessage('b', state(3), { topic: other, partition: 0 }),
        changelogMessage('c', state(4), { topic: eps, partition: 0 }),
        changelogMessage('c', null, { topic: eps, partition: 0 }),
        // Input partition 1's stream: another changelog partition, not read for partition 0.
        changelogMessage('d', state(5), { topic: eps, partition: 1 }),
        // A record of an earlier release: the snapshot as JSON, its input topic in a header.
        { key: 'e', value: JSON.stringify({ ...state(6), scoring: { method: 'context', profile: { cadenceMs: 1_800_000, slots: [9.25, null], seen: [2, 0], weekendOffset: 0, weekendPoints: 0 } } }), partition: 0, headers: { [CHANGELOG_TOPIC_HEADER]: eps } },
        { key: 'f', value: Buffer.from([0xc1, 0xff, 0x00]), partition: 0 },
      ],
    });
    await producer.disconnect();
    // On a fresh broker the group coordinator may still be loading; the daemon retries a restore the same way.
    for (let attempt = 1; ; attempt++) {
      try {
        unreadable.length = 0;
        restored = await readChangelog(kafka, changelog, [{ topic: eps, partition: 0 }], uniqueName('restore'), (stream) => unreadable.push(stream));
        break;
      } catch (err) {
        if (attempt >= 30 || !/coordinator is loading|coordinator is not available/i.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('restores the latest record of each of the partition’s streams, typed arrays included', () => {
    expect([...restored.keys()].sort()).toEqual(['a', 'e']);
    const a = restored.get('a')!;
    expect(a.input).toEqual({ topic: eps, partition: 0 });
    expect(a.snapshot.windows.count).toBe(2);
    const profile = (a.snapshot.scoring as { profile: { slots: Float32Array } }).profile;
    expect(profile.slots).toBeInstanceOf(Float32Array);
    expect(Number.isNaN(profile.slots[1])).toBe(true);
  });

  it('reads records of earlier releases (JSON, the input topic in a header)', () => {
    expect(restored.get('e')!.snapshot.windows.count).toBe(6);
    expect((restored.get('e')!.snapshot.scoring as { profile: { slots: (number | null)[] } }).profile.slots).toEqual([9.25, null]);
  });

  it('leaves out other input topics’ streams and tombstoned ones, and reports an unreadable record instead of failing', () => {
    expect(restored.has('b')).toBe(false);
    expect(restored.has('c')).toBe(false);
    expect(restored.has('d')).toBe(false);
    expect(unreadable).toEqual(['f']);
  });
});
