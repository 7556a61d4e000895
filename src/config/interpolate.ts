import { readFileSync } from 'node:fs';

/** A `${…}` that could not be filled: an unset variable, or a secret file that cannot be read. */
export interface Unresolved {
  /** Where in the config, e.g. `kafka.sasl.password`. */
  path: string;
  /** The variable name, or `file:PATH` for a secret file. */
  name: string;
  /** Set for `${file:PATH}`: the file and why it could not be read. */
  file?: { path: string; error: string };
}

// One pattern for both forms, applied in a single pass: a value read from a file or the
// environment is never scanned again, so a secret containing `${` stays as it is.
const PLACEHOLDER = /\$\{(?:file:([^}]+)|([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?)\}/g;

/**
 * Replaces `${NAME}`, `${NAME:-default}` and `${file:/path/to/secret}` in every string of a parsed
 * YAML tree. A secret file's content is used with one trailing newline removed (what `echo` and
 * Kubernetes Secrets created from literals leave). Unset variables without a default and unreadable
 * files are collected, not silently emptied, so the error can name them.
 */
export function interpolateEnv(node: unknown, env: NodeJS.ProcessEnv, missing: Unresolved[] = [], path = ''): unknown {
  if (typeof node === 'string') {
    return node.replace(PLACEHOLDER, (_, file: string | undefined, name: string | undefined, fallback?: string) => {
      if (file !== undefined) return readSecretFile(file.trim(), path, missing);
      const value = env[name!];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      missing.push({ path, name: name! });
      return '';
    });
  }
  if (Array.isArray(node)) return node.map((v, i) => interpolateEnv(v, env, missing, `${path}[${i}]`));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, interpolateEnv(v, env, missing, path ? `${path}.${k}` : k)]),
    );
  }
  return node;
}

function readSecretFile(file: string, path: string, missing: Unresolved[]): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const error = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    missing.push({ path, name: `file:${file}`, file: { path: file, error } });
    return '';
  }
}
