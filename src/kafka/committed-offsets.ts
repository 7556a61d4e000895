/**
 * Per partition, the offset this member last committed (in a transaction): what consumer lag is
 * counted from. Only the partitions it owns are kept.
 */
export class CommittedOffsets {
  private readonly offsets = new Map<string, { topic: string; partition: number; offset: bigint }>();

  set(topic: string, partition: number, offset: bigint): void {
    this.offsets.set(`${topic}\u0000${partition}`, { topic, partition, offset });
  }

  get(topic: string, partition: number): bigint | undefined {
    return this.offsets.get(`${topic}\u0000${partition}`)?.offset;
  }

  /** Forget partitions this member no longer owns. */
  forget(isOwned: (topic: string, partition: number) => boolean): void {
    for (const [key, o] of this.offsets) if (!isOwned(o.topic, o.partition)) this.offsets.delete(key);
  }
}
