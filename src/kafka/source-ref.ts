/** Where an input event came from: enough to commit its offset and to dead-letter its original bytes. */
export interface KafkaSourceRef {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Broker timestamp (epoch ms) of the message. */
  timestamp: number;
}
