import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, crossCheck, type AnomalydConfig } from './schema.js';
import { interpolateEnv } from './interpolate.js';

export interface ConfigIssue {
  path: string;
  message: string;
  line?: number;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `${file}: invalid configuration\n` +
        issues.map((i) => `  ${i.path || '(root)'}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** `streams[2].model` style, the way a user reads the YAML. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}${'input' in issue && issue.input === undefined ? ' (missing)' : ''}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `\`${k}\``).join(', ')}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `expected ${issue.message.replace(/^Invalid string: must match pattern .*$/, issue.format)}`;
    case 'custom':
      return `expected ${issue.message}`;
    default:
      return issue.message;
  }
}

export interface LoadedConfig {
  file: string;
  config: AnomalydConfig;
  /** Model name → absolute directory. */
  modelDirs: Record<string, string>;
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML syntax: ${e.message.split('\n')[0]}`, line: e.linePos?.[0]?.line })),
    );
  }
  const missing: { path: string; name: string }[] = [];
  const raw = interpolateEnv(doc.toJS(), env, missing);
  if (missing.length > 0) {
    throw new ConfigError(
      file,
      missing.map((m) => ({ path: m.path, message: `environment variable ${m.name} is not set (and no \${${m.name}:-default})` })),
    );
  }
  const result = configSchema.safeParse(raw ?? {});
  const issues: ConfigIssue[] = [
    ...(result.success ? [] : result.error.issues.map((i) => ({ path: i.path, message: describeIssue(i) }))),
    ...crossCheck(raw),
  ].map((i) => ({ path: formatPath(i.path), message: i.message, line: lineOf(doc, text, i.path) }));
  if (!result.success || issues.length > 0) throw new ConfigError(file, issues);
  const base = dirname(resolve(file));
  const modelDirs = Object.fromEntries(
    Object.entries(result.data.models).map(([name, dir]) => [name, isAbsolute(dir) ? dir : resolve(base, dir)]),
  );
  return { file, config: result.data, modelDirs };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read file: ${(err as Error).message}` }]);
  }
  return parseConfig(text, file, env);
}

function lineOf(doc: ReturnType<typeof parseDocument>, text: string, path: readonly PropertyKey[]): number | undefined {
  // The deepest node that exists: a missing field points at its parent.
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      return text.slice(0, node.range[0]).split('\n').length;
    }
  }
  return undefined;
}
