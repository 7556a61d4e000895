import type { Logger } from '../log.js';
import { KafkaUnrecoverableError, type Diagnosis } from './unrecoverable.js';

export interface RetryOptions {
  /** Called on each failure; a diagnosis ends the loop with a {@link KafkaUnrecoverableError}. */
  diagnose?: (err: unknown) => Promise<Diagnosis | undefined>;
}

/**
 * Runs `attempt` until it succeeds, backing off from 1 s to 30 s and logging every failure.
 * Returns false if `isStopping` turns true first: the daemon never gives up on a broker by itself,
 * except when `diagnose` says no retry can succeed (wrong credentials, an untrusted certificate,
 * TLS on one side only); then it throws {@link KafkaUnrecoverableError}.
 */
export async function retryUntilStopped(
  what: string,
  attempt: () => Promise<void>,
  isStopping: () => boolean,
  log: Logger,
  opts: RetryOptions = {},
): Promise<boolean> {
  for (let n = 1, delay = 1000; ; n++, delay = Math.min(delay * 2, 30_000)) {
    if (isStopping()) return false;
    try {
      await attempt();
      return true;
    } catch (err) {
      if (isStopping()) return false;
      const diagnosis = await opts.diagnose?.(err);
      if (diagnosis) throw new KafkaUnrecoverableError(`${what} failed`, diagnosis);
      log.warn({ err: (err as Error).message, attempt: n, retryInMs: delay }, `${what} failed; retrying`);
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }
}
