import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { PartitionProducers, isFenced } from '../src/kafka/partition-producers.js';
import { readAll, testKafka, uniqueName } from './support/kafka.js';

/**
 * The fencing the exactly-once design rests on, against the real broker: the member that takes a
 * partition fences its transactional id, which aborts what the previous owner left open and makes
 * the previous owner's next commit fail as fenced.
 */
describe('per-partition transactional producers', () => {
  let kafka: Kafka;
  let admin: Admin;
  const log = pino({ level: 'silent' });
  const input = uniqueName('fence-input');
  const output = uniqueName('fence-output');
  const groupId = uniqueName('fence-group');
  const tp = { topic: input, partition: 0 };
  const opts = { prefix: uniqueName('fence'), transactionTimeoutMs: 60_000, groupId, maxRetryTimeMs: 5_000 };
  const owners: PartitionProducers[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input }, { topic: output }] });
    // On a fresh broker the group's coordinator may still be loading, and kafkajs' TxnOffsetCommit
    // does not wait for it (the daemon's Kafka sink retries the transaction); wait here instead.
    await committedOffset();
  });

  /**
   * The group's committed offset, once it is `expected` (or after 30 s): a commit returns before
   * the broker has written its markers, so a transactional offset shows up a moment later.
   */
  const committedOffset = async (expected?: string): Promise<string | undefined> => {
    let offset: string | undefined;
    for (let attempt = 0; attempt < 60; attempt++) {
      try {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
        offset = committed.partitions.find((p) => p.partition === 0)?.offset;
        if (expected === undefined || offset === expected) return offset;
      } catch (err) {
        if (attempt === 59) throw err;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    return offset;
  };

  afterAll(async () => {
    await Promise.allSettled(owners.map((o) => o.close()));
    await admin.disconnect();
  });

  const owner = () => {
    const o = new PartitionProducers(kafka, opts, log);
    owners.push(o);
    return o;
  };
  const send = (value: string) => ({ topicMessages: [{ topic: output, messages: [{ key: 'k', value }] }] });

  it('commits messages and the consumed offset together', async () => {
    const a = owner();
    await a.fence(tp);
    await a.commit(tp, { ...send('a-1'), offset: '10' });
    expect(await committedOffset('10')).toBe('10');
    expect((await readAll(kafka, output)).map((m) => m.value!.toString())).toEqual(['a-1']);
  });

  it('fences the previous owner: its open transaction is aborted, its next commit fails as fenced', async () => {
    const zombie = owner();
    await zombie.fence(tp);
    // The zombie's transaction is open when the new owner takes over (as after a crash or a long pause).
    const producer = (zombie as unknown as { producers: Map<string, import('kafkajs').Producer> }).producers.values().next().value!;
    const open = await producer.transaction();
    await open.send({ topic: output, messages: [{ key: 'k', value: 'zombie-open' }] });

    const next = owner();
    await next.fence(tp);
    await next.commit(tp, { ...send('next-1'), offset: '20' });

    // Its open transaction was aborted: committing it now fails as fenced.
    const err = await open.commit().catch((e: unknown) => e);
    expect(isFenced(err), String(err)).toBe(true);

    // A previous owner with no transaction open fails as fenced at its next one.
    const late = owner();
    await late.fence(tp);
    const after = owner();
    await after.fence(tp);
    const lateErr = await late.commit(tp, { ...send('late'), offset: '30' }).catch((e: unknown) => e);
    expect(isFenced(lateErr), String(lateErr)).toBe(true);

    const values = (await readAll(kafka, output)).map((m) => m.value!.toString());
    expect(values).toEqual(['a-1', 'next-1']);
    expect(await committedOffset('20')).toBe('20');
  });
});
