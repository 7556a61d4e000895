import { logLevel } from 'kafkajs';

export type LogLevelName = 'error' | 'warn' | 'info' | 'debug';

const levels: Record<number, LogLevelName> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * The level a kafkajs log line gets in anomalyd's log. kafkajs logs at ERROR what it is about to
 * retry: every error response ("Response JoinGroup ...", e.g. a coordinator still loading) and every
 * attempt of its retrier (`retryCount` set). Failures that outlast the retries reach anomalyd as
 * exceptions and are logged there; an attempt that will be retried is a warning, and the broker's
 * CONCURRENT_TRANSACTIONS (a transaction begun while the previous one's markers are still being
 * written, the normal case of back-to-back transactions) is routine.
 */
export function kafkajsLogLevel(namespace: string, level: number, message: string, extra: Record<string, unknown>): LogLevelName {
  if (namespace === 'Connection' && message.startsWith('Response ')) return 'debug';
  if (typeof extra.retryCount === 'number') {
    return message.includes('another concurrent operation on the same transaction') ? 'debug' : 'warn';
  }
  return levels[level] ?? 'info';
}
