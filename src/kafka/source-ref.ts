/** Where an input event came from: enough to commit its offset and to dead-letter its original bytes. */
export interface KafkaSourceRef {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Broker timestamp (epoch ms) of the message. */
  timestamp: number;
  /**
   * The partition's epoch at fetch time: it changes whenever the partition is (re)prepared after a
   * rebalance or a fenced transaction, and work fetched in an older epoch is never delivered.
   */
  epoch?: number;
  /** `tpKey` of its topic and partition, made once per fetched batch: the pipeline's lane of the event. */
  lane?: string;
}
