import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Kafka, KafkaJSSASLAuthenticationError, logLevel, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCa } from '../tls/local-ca.js';
import { diagnoseUnrecoverable } from './unrecoverable.js';

/** What kafkajs throws when its first connection fails, from a real socket (no Kafka needed for these). */
async function connectError(broker: string, extra: Partial<KafkaConfig> = {}): Promise<unknown> {
  const admin = new Kafka({ brokers: [broker], connectionTimeout: 2_000, retry: { retries: 0 }, logLevel: logLevel.NOTHING, ...extra }).admin();
  try {
    await admin.connect();
  } catch (err) {
    return err;
  } finally {
    await admin.disconnect().catch(() => {});
  }
  throw new Error('expected the connection to fail');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as { port: number }).port}`)));
}

describe('diagnoseUnrecoverable', () => {
  const ca = LocalCa.create('diagnosis test CA');
  const cert = ca.issueServer({ hosts: ['127.0.0.1'] });
  // A TLS listener that completes handshakes and closes whatever comes after: like a SASL_SSL port to a client that speaks plaintext.
  const tls = createTlsServer({ cert: cert.cert, key: cert.key }, (socket) => socket.end());
  tls.on('tlsClientError', () => {});
  let tlsBroker: string;
  let closedPort: string;
  beforeAll(async () => {
    tlsBroker = await listen(tls);
    const s = createTcpServer();
    closedPort = await listen(s);
    await new Promise((r) => s.close(r));
  });
  afterAll(() => new Promise((r) => tls.close(r)));

  it('an untrusted certificate: the CA in kafka.ssl.ca did not sign the broker certificate', async () => {
    const other = LocalCa.create('another CA');
    const err = await connectError(tlsBroker, { ssl: { ca: [other.cert] } });
    const diagnosis = await diagnoseUnrecoverable(err, { brokers: [tlsBroker], ssl: { ca: 'other.pem', rejectUnauthorized: true }, sasl: undefined });
    expect(diagnosis).toMatchObject({ cause: 'certificate not trusted', detail: expect.stringMatching(/^UNABLE_TO_VERIFY_LEAF_SIGNATURE: /) });
  });

  it('a certificate for another host name is not trusted either', async () => {
    const wrongHost = ca.issueServer({ hosts: ['kafka.example'] });
    const server = createTlsServer({ cert: wrongHost.cert, key: wrongHost.key }, (socket) => socket.end());
    const broker = await listen(server);
    try {
      const err = await connectError(broker, { ssl: { ca: [ca.cert] } });
      expect(await diagnoseUnrecoverable(err, { brokers: [broker], ssl: true, sasl: undefined })).toMatchObject({ cause: 'certificate not trusted', detail: expect.stringMatching(/^ERR_TLS_CERT_ALTNAME_INVALID/) });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('plaintext to a TLS listener: TLS expected, found by a TLS handshake on the same address', async () => {
    const err = await connectError(tlsBroker);
    expect(await diagnoseUnrecoverable(err, { brokers: [tlsBroker], ssl: false, sasl: undefined })).toMatchObject({
      cause: 'TLS expected',
      detail: `${tlsBroker} closed the plaintext connection and accepts a TLS handshake`,
    });
  });

  it('a SASL authentication failure, however deep kafkajs wraps it', async () => {
    // kafkajs' typings omit the message argument its constructor takes.
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const sasl = new SaslError('SASL SCRAM SHA512 authentication failed: invalid credentials');
    const wrapped = Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: sasl });
    expect(await diagnoseUnrecoverable(wrapped, { brokers: [tlsBroker], ssl: true, sasl: undefined })).toMatchObject({ cause: 'authentication failed' });
  });

  it('leaves an unreachable broker to the retry loop', async () => {
    const err = await connectError(closedPort);
    expect(await diagnoseUnrecoverable(err, { brokers: [closedPort], ssl: false, sasl: undefined })).toBeUndefined();
    const tlsErr = await connectError(closedPort, { ssl: true });
    expect(await diagnoseUnrecoverable(tlsErr, { brokers: [closedPort], ssl: true, sasl: undefined })).toBeUndefined();
  });
});
