import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the generated schema is checked in, relative to the repository root. */
export const CONFIG_JSON_SCHEMA_FILE = 'config/anomalyd.schema.json';

/**
 * The configuration's JSON Schema for editors (yaml-language-server), derived from the zod schema so
 * the two cannot drift: `npm run config:schema` writes it, a test compares it with the checked-in file.
 * It describes the YAML as written (`io: 'input'`): fields with defaults are optional.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any', override: allowInterpolation }),
    title: 'anomalyd configuration',
  };
}

/** A string holding a `${…}` reference; the loader converts it to the type the field expects. */
const INTERPOLATED = { type: 'string', pattern: '\\$\\{[^}]+\\}', description: '${ENV_VAR} or ${ENV_VAR:-default}, converted on load' };

/**
 * Number, boolean and enum fields also accept `${…}`, as the loader does (it interpolates, then
 * converts numbers and booleans: src/config/coerce-interpolated.ts); other strings already do.
 */
function allowInterpolation(ctx: { jsonSchema: Record<string, unknown> }): void {
  const js = ctx.jsonSchema;
  const constrained = js.type === 'number' || js.type === 'integer' || js.type === 'boolean' || (js.type === 'string' && Array.isArray(js.enum));
  if (!constrained) return;
  const { default: fallback, description, ...typed } = js;
  for (const k of Object.keys(js)) delete js[k];
  if (description !== undefined) js.description = description;
  if (fallback !== undefined) js.default = fallback;
  js.anyOf = [typed, INTERPOLATED];
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
