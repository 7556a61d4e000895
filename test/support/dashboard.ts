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
export interface Dashboard {
  uid: string;
  panels: Panel[];
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

export const rulesFile = join(repo, 'deploy/prometheus/rules/anomalyd.rules.yml');
export const alertRules = (
  parseYaml(readFileSync(rulesFile, 'utf8')) as { groups: { rules: { alert: string; expr: string; for?: string }[] }[] }
).groups.flatMap((g) => g.rules);

/**
 * Substitutes dashboard variables the way docs/METRICS.md says to: $__rate_interval → 1m, $stream and
 * $instance → .* (All), $job → the scrape job, which the job variable lists (the tests' job is anomalyd).
 */
export function substitute(expr: string, job = 'anomalyd'): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$stream', '.*').replaceAll('$instance', '.*').replaceAll('$job', job);
}

/** An alert rule's expression without its final comparison: the series it watches, which must exist. */
export function ruleOperand(expr: string): string {
  return expr.replace(/\s*(==|!=|>=|<=|>|<)\s*[0-9.e+-]+\s*$/, '');
}
