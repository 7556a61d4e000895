import type { parseDocument } from 'yaml';
import type { z } from 'zod';

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

/** The line of the deepest node of `path` that exists in `doc`. */
export function lineOf(doc: ReturnType<typeof parseDocument>, text: string, path: readonly PropertyKey[]): number | undefined {
  // The deepest node that exists: a missing field points at its parent.
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      return text.slice(0, node.range[0]).split('\n').length;
    }
  }
  return undefined;
}
