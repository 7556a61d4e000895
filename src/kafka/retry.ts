import type { Logger } from '../log.js';

/**
 * Runs `attempt` until it succeeds, backing off from 1 s to 30 s and logging every failure.
 * Returns false if `isStopping` turns true first: the daemon never gives up on a broker by itself.
 */
export async function retryUntilStopped(
  what: string,
  attempt: () => Promise<void>,
  isStopping: () => boolean,
  log: Logger,
): Promise<boolean> {
  for (let n = 1, delay = 1000; ; n++, delay = Math.min(delay * 2, 30_000)) {
    if (isStopping()) return false;
    try {
      await attempt();
      return true;
    } catch (err) {
      if (isStopping()) return false;
      log.warn({ err: (err as Error).message, attempt: n, retryInMs: delay }, `${what} failed; retrying`);
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }
}
