// Writes config/anomalyd.schema.json from the zod schema (npm run config:schema).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchemaText } from '../src/config/json-schema.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', CONFIG_JSON_SCHEMA_FILE);
writeFileSync(file, configJsonSchemaText());
console.log(`wrote ${CONFIG_JSON_SCHEMA_FILE}`);
