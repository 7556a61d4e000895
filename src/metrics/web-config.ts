import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeIssue, formatPath, lineOf, type ConfigIssue } from '../config/issues.js';

/**
 * The web configuration file of Prometheus exporters (prometheus/exporter-toolkit, docs/web-configuration.md):
 * TLS and basic authentication for the metrics endpoints. anomalyd reads the subset below; the other
 * fields of that format are refused by name rather than ignored, so nobody believes a setting is in force.
 */
const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;

/** Go's crypto/tls ClientAuthType names, as the exporter toolkit takes them. */
const CLIENT_AUTH = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;

// $2a$, $2b$ and $2y$ (htpasswd -B) hashes; cost 04–31; 22 characters of salt and 31 of hash.
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const unsupported = (what: string) =>
  z.unknown().refine(() => false, { message: `a field anomalyd supports (${what} is not: remove it, or put a reverse proxy in front)` }).optional();

const tlsVersion = z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]]);

export const webConfigSchema = z.strictObject({
  tls_server_config: z
    .strictObject({
      cert_file: z.string().min(1).optional(),
      key_file: z.string().min(1).optional(),
      cert: z.string().min(1).optional(),
      key: z.string().min(1).optional(),
      client_auth_type: z.enum(CLIENT_AUTH).default('NoClientCert'),
      client_ca_file: z.string().min(1).optional(),
      client_ca: z.string().min(1).optional(),
      min_version: tlsVersion.default('TLS12'),
      max_version: tlsVersion.default('TLS13'),
      client_allowed_sans: unsupported('client_allowed_sans'),
      cipher_suites: unsupported('cipher_suites (Go cipher names)'),
      curve_preferences: unsupported('curve_preferences (Go curve names)'),
      prefer_server_cipher_suites: unsupported('prefer_server_cipher_suites'),
    })
    .refine((t) => (t.cert_file === undefined) !== (t.cert === undefined), { message: 'exactly one of cert_file or cert', path: ['cert_file'] })
    .refine((t) => (t.key_file === undefined) !== (t.key === undefined), { message: 'exactly one of key_file or key', path: ['key_file'] })
    .refine((t) => t.client_ca_file === undefined || t.client_ca === undefined, { message: 'at most one of client_ca_file or client_ca', path: ['client_ca_file'] })
    .refine((t) => t.client_auth_type !== 'NoClientCert' || (t.client_ca_file === undefined && t.client_ca === undefined), {
      message: 'a client_auth_type (e.g. RequireAndVerifyClientCert) when client_ca_file is set',
      path: ['client_auth_type'],
    })
    .refine((t) => !t.client_auth_type.includes('Verify') || t.client_ca_file !== undefined || t.client_ca !== undefined, {
      message: `client_ca_file with client_auth_type ${'RequireAndVerifyClientCert'} or VerifyClientCertIfGiven`,
      path: ['client_ca_file'],
    })
    .refine((t) => Number(t.min_version.slice(3)) <= Number(t.max_version.slice(3)), { message: 'min_version at most max_version', path: ['min_version'] })
    .optional(),
  basic_auth_users: z
    .record(z.string().min(1), z.string().regex(BCRYPT, 'a bcrypt hash such as $2y$10$… (htpasswd -nBC 10 "" | tr -d \':\\n\')'))
    .optional(),
  http_server_config: unsupported('http_server_config'),
  rate_limit: unsupported('rate_limit'),
});

export type WebConfigFile = z.infer<typeof webConfigSchema>;
export type ClientAuthType = (typeof CLIENT_AUTH)[number];

/** A validated web config, certificate files read. */
export interface WebConfig {
  file: string;
  tls?: {
    cert: string;
    key: string;
    /** PEM of the CA that client certificates must chain to. */
    clientCa?: string;
    clientAuth: ClientAuthType;
    minVersion: (typeof TLS_VERSIONS)[TlsVersionName];
    maxVersion: (typeof TLS_VERSIONS)[TlsVersionName];
  };
  /** User → bcrypt hash. Empty: no authentication. */
  users: Record<string, string>;
}

/**
 * Reads and validates a web config file. Relative certificate paths resolve against the file's folder.
 * Every problem is a {@link ConfigError} naming this file and the field.
 */
export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the metrics web config: ${(err as Error).message}` }]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => ({ path: '', message: `YAML syntax: ${e.message.split('\n')[0]}`, line: e.linePos?.[0]?.line })));
  }
  const result = webConfigSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((i) => ({ path: formatPath(i.path), message: describeIssue(i), line: lineOf(doc, text, i.path) })),
    );
  }
  const parsed = result.data;
  const issues: ConfigIssue[] = [];
  const base = dirname(resolve(file));
  const readPem = (field: string, path: string | undefined, inline: string | undefined): string | undefined => {
    if (inline !== undefined) return inline;
    if (path === undefined) return undefined;
    const full = isAbsolute(path) ? path : resolve(base, path);
    try {
      return readFileSync(full, 'utf8');
    } catch (err) {
      issues.push({ path: `tls_server_config.${field}`, message: `cannot read ${full}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, line: lineOf(doc, text, ['tls_server_config', field]) });
      return undefined;
    }
  };
  let tls: WebConfig['tls'];
  const t = parsed.tls_server_config;
  if (t) {
    const cert = readPem('cert_file', t.cert_file, t.cert);
    const key = readPem('key_file', t.key_file, t.key);
    const clientCa = readPem('client_ca_file', t.client_ca_file, t.client_ca);
    if (cert !== undefined && key !== undefined) {
      try {
        // Node checks that the key belongs to the certificate and that both parse.
        createSecureContext({ cert, key, ca: clientCa });
        tls = { cert, key, clientCa, clientAuth: t.client_auth_type, minVersion: TLS_VERSIONS[t.min_version], maxVersion: TLS_VERSIONS[t.max_version] };
      } catch (err) {
        issues.push({ path: 'tls_server_config', message: `the certificate, key or client CA cannot be used: ${(err as Error).message}`, line: lineOf(doc, text, ['tls_server_config']) });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(file, issues);
  return { file, tls, users: parsed.basic_auth_users ?? {} };
}
