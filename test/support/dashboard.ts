import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repo } from './daemon-process.js';

export interface Target {
  refId: string;
  expr: string;
  datasource?: { type?: string; uid?: string };
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  repeat?: string;
  fieldConfig?: { overrides: { matcher: { id: string; options?: unknown }; properties: { id: string; value: unknown }[] }[] };
}
export interface Annotation {
  name: string;
  datasource?: { type?: string; uid?: string };
  expr?: string;
  enable?: boolean;
}
export interface Dashboard {
  uid: string;
  panels: Panel[];
  annotations: { list: Annotation[] };
  templating: {
    list: {
      name: string;
      type: string;
      query?: string | { query: string };
      multi?: boolean;
      includeAll?: boolean;
      allValue?: string;
      datasource?: { uid?: string };
    }[];
  };
}

export const dashboard = JSON.parse(readFileSync(join(repo, 'grafana/dashboards/anomalyd.json'), 'utf8')) as Dashboard;
export const dataPanels = dashboard.panels.filter((p) => p.type !== 'row');
export const panelExprs = dataPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
/** Annotations drawn from Prometheus queries (Grafana's built-in one has no expression). */
export const annotationExprs = dashboard.annotations.list.filter((a) => a.expr !== undefined).map((a) => ({ annotation: a.name, expr: a.expr! }));

export const rulesFile = join(repo, 'deploy/prometheus/rules/anomalyd.rules.yml');
export const alertRules = (
  parseYaml(readFileSync(rulesFile, 'utf8')) as { groups: { rules: { alert: string; expr: string; for?: string }[] }[] }
).groups.flatMap((g) => g.rules);

/**
 * Substitutes dashboard variables the way docs/METRICS.md says to: $__rate_interval → 1m, $__range → 1h,
 * $stream and $instance → .* (All), $job → the scrape job, which the job variable lists (the tests' job is anomalyd).
 */
export function substitute(expr: string, job = 'anomalyd'): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$stream', '.*')
    .replaceAll('$instance', '.*')
    .replaceAll('$job', job);
}

/**
 * The operands of an alert rule's last top-level comparison, numbers left out: the series the rule
 * watches, which must exist. `a and b == 1` gives `a and b`; `time() - a > 3 * b` gives both sides.
 */
export function ruleOperands(expr: string): string[] {
  let depth = 0;
  let quote = '';
  let at = -1;
  let width = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quote !== '') {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('({['.includes(c)) depth++;
    else if (')}]'.includes(c)) depth--;
    else if (depth === 0) {
      const two = expr.slice(i, i + 2);
      if (['==', '!=', '>=', '<='].includes(two)) {
        at = i;
        width = 2;
        i++;
      } else if (c === '>' || c === '<') {
        at = i;
        width = 1;
      }
    }
  }
  if (at < 0) return [expr.trim()];
  const sides = [expr.slice(0, at).trim(), expr.slice(at + width).replace(/^\s*bool\b/, '').trim()];
  return sides.filter((side) => !/^[0-9.e+-]+$/.test(side));
}
