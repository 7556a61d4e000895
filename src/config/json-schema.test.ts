import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from './json-schema.js';

const ROOT = resolve(__dirname, '../..');
const SHIPPED_CONFIGS = ['config/anomalyd.yaml', 'deploy/anomalyd.yaml'];

function validator() {
  return new Ajv2020({ allErrors: true, strict: false }).compile(configJsonSchema());
}

describe('the configuration JSON Schema', () => {
  it('is checked in exactly as generated from the zod schema (npm run config:schema)', () => {
    expect(readFileSync(join(ROOT, CONFIG_JSON_SCHEMA_FILE), 'utf8')).toBe(configJsonSchemaText());
  });

  it.each(SHIPPED_CONFIGS)('%s points editors at the schema and satisfies it', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const modeline = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
    expect(modeline, 'first line is the yaml-language-server modeline').not.toBeNull();
    expect(resolve(dirname(join(ROOT, file)), modeline![1])).toBe(join(ROOT, CONFIG_JSON_SCHEMA_FILE));
    const validate = validator();
    expect(validate(parseYaml(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('accepts ${…} in number and boolean fields and rejects unknown fields and wrong types', () => {
    const validate = validator();
    const base = { kafka: { brokers: 'k:9092' }, input: { topics: ['t'] }, models: { m: './m' }, streams: [{ match: '*', model: 'm' }] };
    expect(validate({ ...base, metrics: { port: '${METRICS_PORT:-9464}', enabled: '${ON}' } })).toBe(true);
    expect(validate({ ...base, metrics: { port: '9464' } })).toBe(false);
    expect(validate({ ...base, metrics: { port: 70000 } })).toBe(false);
    expect(validate({ ...base, inference: { maxbatch: 3 } })).toBe(false);
    expect(validate({ ...base, inference: { backend: 'gpu' } })).toBe(false);
  });
});
