import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anomalyd } from './support/cli.js';
import { repo } from './support/daemon-process.js';

/** A copy of the shipped config and model in a scratch folder, so the model can be broken. */
function scratch(): { dir: string; config: string; model: string } {
  const dir = mkdtempSync(join(tmpdir(), 'anomalyd-validate-'));
  const model = join(dir, 'models', 'eps-gru');
  cpSync(join(repo, 'models', 'eps-gru'), model, { recursive: true });
  const config = join(dir, 'anomalyd.yaml');
  writeFileSync(config, readFileSync(join(repo, 'config', 'anomalyd.yaml'), 'utf8').replace(/eps-gru: \S+/, 'eps-gru: ./models/eps-gru'));
  return { dir, config, model };
}

describe('anomalyd validate', () => {
  it('passes the shipped configuration, with ${METRICS_PORT:-9464} style numbers', () => {
    const r = anomalyd(['validate', '--config', 'config/anomalyd.yaml']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^config\/anomalyd\.yaml: ok \(1 model\(s\)/);
    expect(r.code).toBe(0);
    const { dir, config } = scratch();
    const withPort = readFileSync(config, 'utf8').replace(/^( {2}port:) \d+$/m, '$1 ${METRICS_PORT:-9464}');
    expect(withPort).toContain('port: ${METRICS_PORT:-9464}');
    writeFileSync(config, withPort);
    expect(anomalyd(['validate', '--config', config], { METRICS_PORT: '9500' }).code).toBe(0);
    rmSync(dir, { recursive: true });
  });

  it('names the model and the reason when its directory is missing or its files do not load', () => {
    const { dir, config, model } = scratch();
    rmSync(model, { recursive: true });
    let r = anomalyd(['validate', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${config}: invalid configuration\n  models.eps-gru: model "eps-gru" cannot be loaded: ${model}: model directory does not exist`);

    cpSync(join(repo, 'models', 'eps-gru'), model, { recursive: true });
    writeFileSync(join(model, 'model.json'), '{"modelTopology": ');
    r = anomalyd(['validate', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`models.eps-gru: model "eps-gru" cannot be loaded: ${join(model, 'model.json')}: corrupt JSON`);

    cpSync(join(repo, 'models', 'eps-gru', 'model.json'), join(model, 'model.json'));
    rmSync(join(model, 'anomalyd.json'));
    r = anomalyd(['validate', '--config', config]);
    expect(r.stderr).toContain(`model "eps-gru" cannot be loaded: ${join(model, 'anomalyd.json')}: missing (every model directory needs anomalyd.json metadata)`);
    expect(r.code).toBe(2);
    rmSync(dir, { recursive: true });
  });
});
