import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkajsLogLevel } from './kafkajs-log-level.js';

describe('kafkajsLogLevel', () => {
  it('keeps kafkajs levels for what it does not retry', () => {
    expect(kafkajsLogLevel('Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded', {})).toBe('error');
    expect(kafkajsLogLevel('Producer', logLevel.WARN, 'something', {})).toBe('warn');
  });

  it('lowers what kafkajs logs before retrying it: error responses to debug, retried attempts to warn', () => {
    expect(kafkajsLogLevel('Connection', logLevel.ERROR, 'Response JoinGroup(key: 11, version: 5)', { error: 'The coordinator is loading' })).toBe('debug');
    expect(kafkajsLogLevel('Producer', logLevel.ERROR, 'Failed to send messages: This server is not the leader for that topic-partition', { retryCount: 1, retryTime: 300 })).toBe('warn');
  });

  it('treats CONCURRENT_TRANSACTIONS between back-to-back transactions as routine', () => {
    const message = 'Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';
    expect(kafkajsLogLevel('Producer', logLevel.ERROR, message, { retryCount: 0, retryTime: 11 })).toBe('debug');
    // The same words without a retry behind them stay an error.
    expect(kafkajsLogLevel('Producer', logLevel.ERROR, message, {})).toBe('error');
  });
});
