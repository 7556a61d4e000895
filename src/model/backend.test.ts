import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { activeBackend, selectBackend } from './backend.js';
import { restoreUtilForTfjsNode } from './tfjs-node-compat.js';

describe('selectBackend', () => {
  it('activates an explicitly requested backend, logs why, and is idempotent', async () => {
    const lines: { obj: object; msg: string }[] = [];
    const log = { info: (obj: object, msg: string) => lines.push({ obj, msg }), warn: () => {} };
    expect(await selectBackend('wasm', log)).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(lines).toEqual([{ obj: { backend: 'wasm', requested: 'wasm', reason: 'requested' }, msg: 'tensorflow.js backend: wasm' }]);
    expect(await selectBackend('wasm', log)).toBe('wasm');
    expect(await selectBackend('auto', log)).toBe('wasm');
    expect(lines.length).toBe(1);
    expect(await selectBackend('cpu', log)).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(activeBackend()).toBe('cpu');
  });

  it('picks tensorflow when its native binding loads, else wasm, and refuses an unavailable explicit choice', async () => {
    let nativeLoads = true;
    restoreUtilForTfjsNode();
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      nativeLoads = false;
    }
    if (nativeLoads) {
      expect(await selectBackend('tensorflow')).toBe('tensorflow');
      expect(tf.getBackend()).toBe('tensorflow');
      const y = tf.add(tf.scalar(2), tf.scalar(3));
      expect(await y.data()).toEqual(new Float32Array([5]));
    } else {
      await expect(selectBackend('tensorflow')).rejects.toThrow(/backend "tensorflow" requested but unavailable: @tensorflow\/tfjs-node did not load/);
    }
  });
});
