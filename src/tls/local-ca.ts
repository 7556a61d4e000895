import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A PEM certificate with its unencrypted PKCS#8 private key. */
export interface PemPair {
  cert: string;
  key: string;
}

export interface ServerCertOptions {
  /** DNS names and IP addresses the certificate is valid for (subjectAltName). */
  hosts: string[];
  /** Days from now; default 30. */
  validDays?: number;
}

const IP = /^(\d{1,3}\.){3}\d{1,3}$|:/;

/**
 * A private certificate authority for local brokers and tests: it signs server certificates for
 * the given hosts. Keys come from node:crypto (fast, native); node-forge builds and signs the
 * X.509 structures, which node:crypto cannot create.
 */
export class LocalCa {
  private constructor(
    readonly cert: string,
    private readonly key: forge.pki.rsa.PrivateKey,
    private readonly subject: forge.pki.CertificateField[],
  ) {}

  static create(commonName = 'anomalyd local CA', validDays = 30): LocalCa {
    const { publicKey, privateKey } = rsaKeyPair();
    const subject = [{ name: 'commonName', value: commonName }];
    const cert = newCertificate(publicKey, subject, subject, validDays);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(privateKey, forge.md.sha256.create());
    return new LocalCa(forge.pki.certificateToPem(cert), privateKey, subject);
  }

  /** A server certificate signed by this CA, valid for `hosts`. */
  issueServer({ hosts, validDays = 30 }: ServerCertOptions): PemPair {
    if (hosts.length === 0) throw new Error('a server certificate needs at least one host');
    const { publicKey, privateKey } = rsaKeyPair();
    const cert = newCertificate(publicKey, [{ name: 'commonName', value: hosts[0]! }], this.subject, validDays);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: hosts.map((h) => (IP.test(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    ]);
    cert.sign(this.key, forge.md.sha256.create());
    return { cert: forge.pki.certificateToPem(cert), key: pkcs8Pem(privateKey) };
  }
}

function rsaKeyPair(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKey = forge.pki.privateKeyFromPem(pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const publicKey = forge.pki.publicKeyFromPem(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  return { publicKey, privateKey };
}

function newCertificate(
  publicKey: forge.pki.rsa.PublicKey,
  subject: forge.pki.CertificateField[],
  issuer: forge.pki.CertificateField[],
  validDays: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: clear the top bit so DER does not read it as negative.
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + validDays * 86_400_000);
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  return cert;
}

/** Kafka's PEM key store and Node's TLS both read an unencrypted PKCS#8 key. */
function pkcs8Pem(key: forge.pki.rsa.PrivateKey): string {
  return forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key)));
}
