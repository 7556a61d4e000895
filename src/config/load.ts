import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { configSchema, crossCheck, type AnomalydConfig } from './schema.js';
import { interpolateEnv, type Unresolved } from './interpolate.js';
import { interpolatedPaths, parseWithInterpolatedTypes } from './coerce-interpolated.js';
import { ConfigError, describeIssue, formatPath, lineOf, type ConfigIssue } from './issues.js';
import { loadWebConfig, type WebConfig } from '../metrics/web-config.js';

export { ConfigError, formatPath, type ConfigIssue } from './issues.js';

export interface LoadedConfig {
  file: string;
  config: AnomalydConfig;
  /** Model name → absolute directory. */
  modelDirs: Record<string, string>;
  /** TLS and basic auth of the metrics endpoints, from `metrics.webConfigFile`. */
  metricsWeb?: WebConfig;
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML syntax: ${e.message.split('\n')[0]}`, line: e.linePos?.[0]?.line })),
    );
  }
  const missing: Unresolved[] = [];
  const written = doc.toJS();
  const raw = interpolateEnv(written, env, missing);
  if (missing.length > 0) {
    throw new ConfigError(
      file,
      missing.map((m) => ({
        path: m.path,
        message: m.file
          ? `cannot read secret file ${m.file.path} (\${file:${m.file.path}}): ${m.file.error}`
          : `environment variable ${m.name} is not set (and no \${${m.name}:-default})`,
      })),
    );
  }
  const interpolated = interpolatedPaths(written);
  const { result } = parseWithInterpolatedTypes(configSchema, raw ?? {}, interpolated);
  const issues: ConfigIssue[] = [
    ...(result.success
      ? []
      : result.error.issues.map((i) => ({ path: i.path, message: describeIssue(i) + interpolatedNote(raw, i.path, interpolated) }))),
    ...crossCheck(raw),
  ].map((i) => ({ path: formatPath(i.path), message: i.message, line: lineOf(doc, text, i.path) }));
  if (!result.success || issues.length > 0) throw new ConfigError(file, issues);
  const base = dirname(resolve(file));
  const modelDirs = Object.fromEntries(
    Object.entries(result.data.models).map(([name, dir]) => [name, isAbsolute(dir) ? dir : resolve(base, dir)]),
  );
  let metricsWeb: WebConfig | undefined;
  const webFile = result.data.metrics.webConfigFile;
  if (webFile !== undefined) {
    const full = isAbsolute(webFile) ? webFile : resolve(base, webFile);
    if (!existsSync(full)) {
      throw new ConfigError(file, [{ path: 'metrics.webConfigFile', message: `cannot read ${full}: no such file`, line: lineOf(doc, text, ['metrics', 'webConfigFile']) }]);
    }
    metricsWeb = loadWebConfig(full);
  }
  return { file, config: result.data, modelDirs, metricsWeb };
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

/** An interpolated value that still does not fit is shown, since the YAML only shows `${…}`. */
function interpolatedNote(tree: unknown, path: readonly PropertyKey[], interpolated: ReadonlySet<string>): string {
  if (!interpolated.has(JSON.stringify(path))) return '';
  let node = tree;
  for (const p of path) node = (node as Record<PropertyKey, unknown> | undefined)?.[p];
  return typeof node === 'string' ? ` (interpolated value ${JSON.stringify(node)})` : '';
}
