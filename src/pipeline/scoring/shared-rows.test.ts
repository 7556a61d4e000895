import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SharedRows, type SharedRow } from './shared-rows.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('SharedRows', () => {
  it('gives each owner a cleared row of its own, and takes it back once the owner is collected', async () => {
    const width = 7;
    const rows = new SharedRows<Float64Array>(width, (values) => new Float64Array(values), (chunk, base, w) => chunk.fill(NaN, base, base + w));
    let owners: object[] = Array.from({ length: 300 }, () => ({}));
    const taken: SharedRow<Float64Array>[] = owners.map((owner) => rows.take(owner));
    const chunks = [...new Set(taken.map((r) => r.chunk))];
    expect(chunks).toHaveLength(2);
    expect(new Set(taken.map((r) => `${chunks.indexOf(r.chunk)}:${r.base}`)).size).toBe(300);
    for (const r of taken) {
      expect(Array.from(r.chunk.subarray(r.base, r.base + width)).every(Number.isNaN)).toBe(true);
      r.chunk.fill(5, r.base, r.base + width);
    }
    expect(rows.census()).toEqual({ rows: 512, free: 212 });

    owners = [];
    for (let i = 0; i < 50 && rows.census().free < 512; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(rows.census()).toEqual({ rows: 512, free: 512 });

    // A row given back is handed out again, cleared: no chunk is added, nothing of its last owner is left.
    const owner = {};
    const again = rows.take(owner);
    expect(rows.census()).toEqual({ rows: 512, free: 511 });
    expect(chunks).toContain(again.chunk);
    expect(Array.from(again.chunk.subarray(again.base, again.base + width)).every(Number.isNaN)).toBe(true);
  });

  it('keeps rows apart: writing one row leaves its neighbours as they were', () => {
    const rows = new SharedRows<Float64Array>(3, (values) => new Float64Array(values), (chunk, base, w) => chunk.fill(0, base, base + w));
    const owners = [{}, {}, {}];
    const [a, b, c] = owners.map((o) => rows.take(o));
    a.chunk.fill(1, a.base, a.base + 3);
    c.chunk.fill(3, c.base, c.base + 3);
    expect(Array.from(b.chunk.subarray(b.base, b.base + 3))).toEqual([0, 0, 0]);
    expect(Array.from(a.chunk.subarray(a.base, a.base + 3))).toEqual([1, 1, 1]);
    expect(Array.from(c.chunk.subarray(c.base, c.base + 3))).toEqual([3, 3, 3]);
    expect(owners).toHaveLength(3);
  });
});
