import { connect } from 'node:tls';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig } from '../config/schema.js';

/** Why a connection can never succeed with this configuration; retrying would only hide it. */
export type UnrecoverableCause = 'authentication failed' | 'certificate not trusted' | 'TLS expected' | 'broker does not speak TLS';

export interface Diagnosis {
  cause: UnrecoverableCause;
  /** What the client saw, e.g. the TLS verification error. */
  detail: string;
  /** Which setting to look at. */
  hint: string;
}

/** Raised instead of retrying when a {@link Diagnosis} says retrying cannot help. */
export class KafkaUnrecoverableError extends Error {
  constructor(
    readonly what: string,
    readonly diagnosis: Diagnosis,
  ) {
    super(`${what}: ${diagnosis.cause} (${diagnosis.detail}); ${diagnosis.hint}`);
    this.name = 'KafkaUnrecoverableError';
  }
}

// Node's certificate verification codes (OpenSSL's X509_V_ERR_* names, plus Node's host check).
const UNTRUSTED_CERT = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and what it wraps: kafkajs nests the socket error in `cause` (retries exceeded) or `originalError`. */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (let e = err as ErrorLike | undefined, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    out.push(e);
    e = (e.cause ?? e.originalError) as ErrorLike | undefined;
  }
  return out;
}

/**
 * Says whether a failed connection attempt can ever succeed with `cfg`. Authentication failures and
 * certificate errors are final. A plaintext client whose connection the broker closes is checked once
 * more with a TLS handshake on the same address: if that succeeds, the listener expects TLS.
 * Anything else (refused, timed out, broker busy) is left to the retry loop.
 */
export async function diagnoseUnrecoverable(err: unknown, cfg: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>): Promise<Diagnosis | undefined> {
  const errors = chain(err);
  const sasl = errors.find((e) => e.name === 'KafkaJSSASLAuthenticationError');
  if (sasl) {
    return {
      cause: 'authentication failed',
      detail: sasl.message ?? 'SASL authentication failed',
      hint: 'check kafka.sasl.mechanism, kafka.sasl.username and kafka.sasl.password',
    };
  }
  const cert = errors.find((e) => e.code !== undefined && UNTRUSTED_CERT.has(e.code));
  if (cert) {
    return {
      cause: 'certificate not trusted',
      detail: `${cert.code}: ${(cert.message ?? '').replace(/^Connection error: /, '')}`,
      hint: "kafka.ssl.ca must name the PEM file of the CA that signed the broker's certificate, and the certificate must be valid for the broker's host name",
    };
  }
  // A Kafka plaintext listener reads a TLS ClientHello as an oversized request and drops the connection
  // without answering, so the TLS handshake fails early; asked in plaintext, the same address answers.
  const handshakeFailed = errors.find(
    (e) => ['ECONNRESET', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER'].includes(e.code ?? '') || /before secure TLS connection was established|wrong version number/i.test(e.message ?? ''),
  );
  if (handshakeFailed && cfg.ssl !== false) {
    for (const broker of cfg.brokers) {
      if (await speaksPlaintextKafka(broker)) {
        return {
          cause: 'broker does not speak TLS',
          detail: `${broker} failed the TLS handshake (${(handshakeFailed.message ?? '').replace(/^Connection error: /, '')}) and answers Kafka requests in plaintext`,
          hint: "the listener at kafka.brokers is plaintext: use the broker's TLS (SSL or SASL_SSL) port, or drop kafka.ssl for a plaintext listener",
        };
      }
    }
  }
  const closed = errors.some((e) => e.name === 'KafkaJSConnectionClosedError' || /closed connection/i.test(e.message ?? ''));
  if (closed && cfg.ssl === false) {
    for (const broker of cfg.brokers) {
      if (await speaksTls(broker)) {
        return {
          cause: 'TLS expected',
          detail: `${broker} closed the plaintext connection and accepts a TLS handshake`,
          hint: 'set kafka.ssl (e.g. ssl: {ca: /path/ca.pem}) and, for a SASL_SSL listener, kafka.sasl',
        };
      }
    }
  }
  return undefined;
}

/** True when `broker` answers a Kafka ApiVersions request over plaintext. */
async function speaksPlaintextKafka(broker: string): Promise<boolean> {
  const admin = new Kafka({ clientId: 'anomalyd-diagnosis', brokers: [broker], connectionTimeout: 3_000, requestTimeout: 3_000, retry: { retries: 0 }, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** True when `host:port` completes a TLS handshake (certificate not checked: this only asks which protocol it speaks). */
function speaksTls(broker: string, timeoutMs = 3_000): Promise<boolean> {
  const i = broker.lastIndexOf(':');
  const host = broker.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(broker.slice(i + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port, rejectUnauthorized: false, servername: /^[\d.:]+$/.test(host) ? undefined : host });
    const done = (result: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}
