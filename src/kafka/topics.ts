import type { Admin } from 'kafkajs';

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(admin: Admin, topics: { topic: string; numPartitions?: number }[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions ?? 1, replicationFactor: -1 })),
  });
  return missing.map((t) => t.topic);
}

/**
 * The state changelog: compacted (the latest record per stream is all a restore needs), with at
 * least as many partitions as the widest input topic, since input partition p's streams live in
 * changelog partition p. Returns what it did, for the log.
 */
export async function ensureChangelog(admin: Admin, topic: string, inputTopics: string[]): Promise<'created' | 'grown' | 'ok'> {
  const { topics } = await admin.fetchTopicMetadata({ topics: inputTopics });
  const partitions = Math.max(1, ...topics.map((t) => t.partitions.length));
  if (!(await admin.listTopics()).includes(topic)) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: partitions, replicationFactor: -1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
      return 'created';
    } catch (err) {
      // Another member created it first.
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS' && !(await admin.listTopics()).includes(topic)) throw err;
    }
  }
  const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  if (meta.partitions.length >= partitions) return 'ok';
  await admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
  return 'grown';
}
