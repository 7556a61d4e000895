import util from 'node:util';

/**
 * @tensorflow/tfjs-node 4.22 (its latest release) calls `util.isNullOrUndefined`, which Node 23
 * removed (DEP0051), so every op of the native backend throws on Node 24. The fix
 * (tensorflow/tfjs#8425) is merged but not released (tensorflow/tfjs#8609). This puts the function
 * back on the `util` module tfjs-node requires, only where it is missing. The same shim for the
 * build script's load check: scripts/native-backend/tfjs-node-compat.cjs.
 */
export function restoreUtilForTfjsNode(): void {
  const legacy = util as unknown as Record<string, unknown>;
  if (typeof legacy.isNullOrUndefined !== 'function') legacy.isNullOrUndefined = (v: unknown) => v === null || v === undefined;
  if (typeof legacy.isArray !== 'function') legacy.isArray = Array.isArray;
}
