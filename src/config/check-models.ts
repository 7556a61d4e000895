import { inspectModelDir } from '../model/model-dir.js';
import type { ConfigIssue, LoadedConfig } from './load.js';

/**
 * Every model directory the configuration names must exist and hold a model.json and anomalyd.json
 * that parse and stay within the model limits. Checked without TensorFlow, so `validate` is quick.
 */
export async function modelDirectoryIssues(loaded: LoadedConfig): Promise<ConfigIssue[]> {
  const checks = Object.entries(loaded.modelDirs).map(async ([name, dir]): Promise<ConfigIssue | null> => {
    try {
      await inspectModelDir(dir);
      return null;
    } catch (err) {
      return { path: `models.${name}`, message: `model "${name}" cannot be loaded: ${(err as Error).message}` };
    }
  });
  return (await Promise.all(checks)).filter((i): i is ConfigIssue => i !== null);
}
