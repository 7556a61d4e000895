import type { Logger } from '../log.js';
import type { KafkaSourceRef } from '../kafka/source-ref.js';
import type { BatchResult } from '../pipeline/types.js';
import type { Sink } from './sink.js';

/** One log line per alert message. */
export class LogSink implements Sink {
  readonly name = 'log';

  constructor(private readonly log: Logger) {}

  async deliver(batch: BatchResult<KafkaSourceRef>): Promise<void> {
    for (const a of batch.alerts) {
      this.log.info({ alertId: a.alertId, state: a.state, stream: a.stream, score: a.score, threshold: a.threshold }, 'alert');
    }
  }
}
