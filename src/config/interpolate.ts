/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML tree.
 * Unset variables without a default are collected, not silently emptied, so the
 * error can name them.
 */
export function interpolateEnv(
  node: unknown,
  env: NodeJS.ProcessEnv,
  missing: { path: string; name: string }[] = [],
  path = '',
): unknown {
  if (typeof node === 'string') {
    return node.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      missing.push({ path, name });
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
