import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/issues.js';
import { LocalCa } from '../tls/local-ca.js';
import { loadWebConfig } from './web-config.js';

const HASH = '$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG';

function webConfig(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'web-config-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, 'web.yml'), text);
  return join(dir, 'web.yml');
}

function issuesOf(file: string): ConfigError {
  try {
    loadWebConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const ca = LocalCa.create('web config test CA');
const server = ca.issueServer({ hosts: ['127.0.0.1'] });
const other = ca.issueServer({ hosts: ['127.0.0.1'] });

describe('the metrics web config (exporter-toolkit format)', () => {
  it('reads TLS files relative to itself, defaults to TLS 1.2–1.3 and no client certificates, and keeps the users', () => {
    const web = loadWebConfig(webConfig(`tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\nbasic_auth_users:\n  prometheus: ${HASH}\n`, { 's.crt': server.cert, 's.key': server.key }));
    expect(web.tls).toMatchObject({ cert: server.cert, key: server.key, clientAuth: 'NoClientCert', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(web.users).toEqual({ prometheus: HASH });
  });

  it('an empty file means no TLS and no authentication', () => {
    expect(loadWebConfig(webConfig(''))).toMatchObject({ tls: undefined, users: {} });
  });

  it('names the file, the field and its line for a hash that is not bcrypt', () => {
    const file = webConfig('basic_auth_users:\n  prometheus: secret\n');
    const err = issuesOf(file);
    expect(err.message.startsWith(`${file}: invalid configuration`)).toBe(true);
    expect(err.issues).toEqual([{ path: 'basic_auth_users.prometheus', line: 2, message: expect.stringMatching(/^expected a bcrypt hash/) }]);
  });

  it('refuses the fields anomalyd does not implement by name instead of ignoring them', () => {
    const err = issuesOf(webConfig('rate_limit:\n  interval: 1s\n  burst: 5\nhttp_server_config:\n  http2: true\n'));
    expect(err.issues.map((i) => i.path).sort()).toEqual(['http_server_config', 'rate_limit']);
    expect(err.issues[0]!.message).toMatch(/is not: remove it, or put a reverse proxy in front/);
    expect(issuesOf(webConfig('tls_server_config:\n  cert_file: a\n  key_file: b\n  unknown_thing: 1\n')).issues[0]).toMatchObject({ path: 'tls_server_config', message: 'unknown field `unknown_thing`' });
  });

  it('requires a certificate and a key, and names a missing file', () => {
    expect(issuesOf(webConfig('tls_server_config:\n  cert_file: s.crt\n', { 's.crt': server.cert })).issues).toEqual([
      { path: 'tls_server_config.key_file', line: 2, message: 'expected exactly one of key_file or key' },
    ]);
    const err = issuesOf(webConfig('tls_server_config:\n  cert_file: nope.crt\n  key_file: s.key\n', { 's.key': server.key }));
    expect(err.issues).toEqual([{ path: 'tls_server_config.cert_file', line: 2, message: expect.stringMatching(/cannot read .*nope\.crt: no such file$/) }]);
  });

  it('refuses a key that does not belong to the certificate', () => {
    const err = issuesOf(webConfig('tls_server_config:\n  cert_file: s.crt\n  key_file: o.key\n', { 's.crt': server.cert, 'o.key': other.key }));
    expect(err.issues[0]).toMatchObject({ path: 'tls_server_config', message: expect.stringMatching(/cannot be used: .*key values mismatch/) });
  });

  it('checks the client certificate policy against the client CA, as the exporter toolkit does', () => {
    const files = { 's.crt': server.cert, 's.key': server.key, 'ca.pem': ca.cert };
    const tls = 'tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n';
    expect(issuesOf(webConfig(`${tls}  client_ca_file: ca.pem\n`, files)).issues[0]).toMatchObject({ path: 'tls_server_config.client_auth_type' });
    expect(issuesOf(webConfig(`${tls}  client_auth_type: RequireAndVerifyClientCert\n`, files)).issues[0]).toMatchObject({ path: 'tls_server_config.client_ca_file' });
    expect(issuesOf(webConfig(`${tls}  client_auth_type: Sometimes\n`, files)).issues[0]).toMatchObject({ path: 'tls_server_config.client_auth_type', message: expect.stringMatching(/^expected one of "NoClientCert"/) });
    const mtls = loadWebConfig(webConfig(`${tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  min_version: TLS13\n`, files));
    expect(mtls.tls).toMatchObject({ clientAuth: 'RequireAndVerifyClientCert', clientCa: ca.cert, minVersion: 'TLSv1.3' });
  });
});
