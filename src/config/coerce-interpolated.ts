import type { z } from 'zod';

type Path = (string | number)[];

const key = (path: readonly PropertyKey[]): string => JSON.stringify(path.map((p) => (typeof p === 'number' ? p : String(p))));

/** Paths of every string in the parsed YAML that contains a `${…}` reference. */
export function interpolatedPaths(node: unknown, path: Path = [], out = new Set<string>()): Set<string> {
  if (typeof node === 'string') {
    if (/\$\{[^}]*\}/.test(node)) out.add(key(path));
  } else if (Array.isArray(node)) {
    node.forEach((v, i) => interpolatedPaths(v, [...path, i], out));
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) interpolatedPaths(v, [...path, k], out);
  }
  return out;
}

function convert(text: string, expected: 'number' | 'boolean'): number | boolean | undefined {
  const t = text.trim();
  if (expected === 'boolean') {
    if (/^true$/i.test(t)) return true;
    if (/^false$/i.test(t)) return false;
    return undefined;
  }
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** Where the schema expected a number or a boolean (directly, or as one branch of a union). */
function wantedTypes(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): { path: PropertyKey[]; expected: 'number' | 'boolean' }[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'boolean')) {
      return [{ path, expected: issue.expected as 'number' | 'boolean' }];
    }
    if (issue.code === 'invalid_union') return issue.errors.flatMap((branch) => wantedTypes(branch, path));
    return [];
  });
}

function setIn(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  let node = root as Record<PropertyKey, unknown>;
  for (const p of path.slice(0, -1)) node = node[p] as Record<PropertyKey, unknown>;
  node[path[path.length - 1]] = value;
}

function getIn(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const p of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[p];
  }
  return node;
}

/**
 * Interpolation yields strings, but `port: ${METRICS_PORT:-9464}` means a number. Where the schema
 * rejected an interpolated string because it wanted a number or a boolean, the string is converted
 * and the tree validated again; values written literally in the YAML are left as they are, so a
 * quoted "9464" is still an error. Returns the last parse result.
 */
export function parseWithInterpolatedTypes<T extends z.ZodType>(
  schema: T,
  tree: unknown,
  interpolated: ReadonlySet<string>,
): { result: z.ZodSafeParseResult<z.output<T>>; tree: unknown } {
  let result = schema.safeParse(tree);
  // Each pass converts everything its issues point at; a union may only reveal a nested field later.
  for (let pass = 0; pass < 4 && !result.success; pass++) {
    let changed = false;
    for (const { path, expected } of wantedTypes(result.error.issues)) {
      if (!interpolated.has(key(path))) continue;
      const current = getIn(tree, path);
      if (typeof current !== 'string') continue;
      const value = convert(current, expected);
      if (value === undefined) continue;
      setIn(tree, path, value);
      changed = true;
    }
    if (!changed) break;
    result = schema.safeParse(tree);
  }
  return { result, tree };
}
