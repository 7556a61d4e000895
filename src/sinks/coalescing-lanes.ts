/**
 * One call at a time per lane (a key), lanes independent of each other, and each call handed
 * everything that was submitted to its lane while the previous call ran, merged. The Kafka sink's
 * lanes are input partitions: a partition's transactions commit one after another in batch order,
 * a slow transaction holds up only its own partition, and under load a transaction grows instead
 * of queueing up (a transaction costs a few round trips whatever its size).
 */
export class CoalescingLanes<W> {
  private readonly lanes = new Map<string, Lane<W>>();

  constructor(
    private readonly run: (lane: string, work: W) => Promise<void>,
    /** `later` was submitted after `earlier`; the result does what both would, in that order. */
    private readonly merge: (earlier: W, later: W) => W,
  ) {}

  /** Resolves once a call that included `work` finished (rejects if it failed). */
  submit(key: string, work: W): Promise<void> {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { busy: false, next: undefined };
      this.lanes.set(key, lane);
    }
    if (lane.next !== undefined) {
      lane.next.work = this.merge(lane.next.work, work);
      return lane.next.done;
    }
    let settle!: { resolve: () => void; reject: (err: unknown) => void };
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    lane.next = { work, done, ...settle };
    if (!lane.busy) void this.drain(key, lane);
    return done;
  }

  /** Lanes with a call running or work waiting. */
  get active(): number {
    let n = 0;
    for (const lane of this.lanes.values()) if (lane.busy || lane.next !== undefined) n++;
    return n;
  }

  private async drain(key: string, lane: Lane<W>): Promise<void> {
    lane.busy = true;
    while (lane.next !== undefined) {
      const { work, resolve, reject } = lane.next;
      lane.next = undefined;
      try {
        await this.run(key, work);
        resolve();
      } catch (err) {
        reject(err);
      }
    }
    lane.busy = false;
    // Idle lanes are dropped: a partition revoked for good leaves nothing behind.
    this.lanes.delete(key);
  }
}

interface Lane<W> {
  busy: boolean;
  next: { work: W; done: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
}
