import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { describe, expect, it } from 'vitest';
import { repo } from './support/daemon-process.js';

const require = createRequire(import.meta.url);

/**
 * Grafana publishes its dashboard schema (CUE) in @grafana/schema as generated TypeScript types;
 * the `Dashboard` interface of the classic JSON model is turned into a JSON Schema here and the
 * shipped dashboard validated against it with ajv. Unknown fields are errors, as in the types.
 */
function grafanaDashboardSchema() {
  const pkg = join(require.resolve('@grafana/schema/package.json'), '..');
  const types = join(pkg, 'dist/types/raw/dashboard/x/types.gen.d.ts');
  const schema = createGenerator({ path: types, type: 'Dashboard', skipTypeCheck: true, expose: 'all' }).createSchema('Dashboard');
  // An annotation query also carries its datasource's own query fields (a Prometheus one: expr, step,
  // titleFormat, textFormat, tagKeys, useValueForTime), which Grafana's schema leaves open and its
  // TypeScript rendering cannot express (Grafana's own SDK adds `expr` past its types). Opened there only.
  const definitions = schema.definitions as Record<string, { additionalProperties?: boolean }>;
  definitions.AnnotationQuery.additionalProperties = true;
  return schema;
}

describe("the dashboard against Grafana's published schema (@grafana/schema)", () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(grafanaDashboardSchema());
  const dashboard = JSON.parse(readFileSync(join(repo, 'grafana/dashboards/anomalyd.json'), 'utf8'));

  it('grafana/dashboards/anomalyd.json is a valid Dashboard', () => {
    const ok = validate(dashboard);
    // A panel that fits neither Panel nor RowPanel reports both branches; the Panel branch is the one to read.
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
    expect(errors).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects what Grafana would: a misspelled panel field, a wrongly typed gridPos, a missing schemaVersion', () => {
    const panels = structuredClone(dashboard.panels);
    panels[1].gridPoss = panels[1].gridPos;
    expect(validate({ ...dashboard, panels })).toBe(false);
    const typed = structuredClone(dashboard.panels);
    typed[1].gridPos.w = '12';
    expect(validate({ ...dashboard, panels: typed })).toBe(false);
    const { schemaVersion: _, ...noVersion } = dashboard;
    expect(validate(noVersion)).toBe(false);
    // An annotation query still needs its own fields right: iconColor misspelled leaves it without one.
    const annotations = structuredClone(dashboard.annotations);
    const { iconColor, ...rest } = annotations.list[1];
    annotations.list[1] = { ...rest, iconColour: iconColor };
    expect(validate({ ...dashboard, annotations })).toBe(false);
  });
});
