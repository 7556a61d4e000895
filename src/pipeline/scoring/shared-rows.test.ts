import { describe, expect, it } from 'vitest';
import { SharedRows } from './shared-rows.js';

const view = (rows: SharedRows<Float64Array>, row: number, width: number) => Array.from(rows.chunkOf(row).subarray(rows.baseOf(row), rows.baseOf(row) + width));

describe('SharedRows', () => {
  it('leases each holder a cleared row of its own, and leases a row given back again, cleared', () => {
    const width = 7;
    const rows = new SharedRows<Float64Array>(width, (values) => new Float64Array(values), (chunk, base, w) => chunk.fill(NaN, base, base + w));
    const leased = Array.from({ length: 300 }, () => rows.lease());
    expect(new Set(leased).size).toBe(300);
    expect(new Set(leased.map((r) => rows.chunkOf(r))).size).toBe(2);
    expect(new Set(leased.map((r) => `${r >> 8}:${rows.baseOf(r)}`)).size).toBe(300);
    for (const r of leased) {
      expect(view(rows, r, width).every(Number.isNaN)).toBe(true);
      rows.chunkOf(r).fill(5, rows.baseOf(r), rows.baseOf(r) + width);
    }
    expect(rows.census()).toEqual({ rows: 512, free: 212 });

    for (const r of leased.slice(0, 100)) rows.release(r);
    expect(rows.census()).toEqual({ rows: 512, free: 312 });
    // Given back rows are leased again before a chunk is added, cleared: nothing of their last holder is left.
    const again = Array.from({ length: 312 }, () => rows.lease());
    expect(rows.census()).toEqual({ rows: 512, free: 0 });
    for (const r of leased.slice(0, 100)) expect(again).toContain(r);
    for (const r of again) expect(view(rows, r, width).every(Number.isNaN)).toBe(true);
    // The rows still held kept their values.
    for (const r of leased.slice(100)) expect(view(rows, r, width)).toEqual(Array(width).fill(5));
  });

  it('keeps rows apart: writing one row leaves its neighbours as they were', () => {
    const rows = new SharedRows<Float64Array>(3, (values) => new Float64Array(values), (chunk, base, w) => chunk.fill(0, base, base + w));
    const [a, b, c] = [rows.lease(), rows.lease(), rows.lease()];
    rows.chunkOf(a).fill(1, rows.baseOf(a), rows.baseOf(a) + 3);
    rows.chunkOf(c).fill(3, rows.baseOf(c), rows.baseOf(c) + 3);
    expect(view(rows, b, 3)).toEqual([0, 0, 0]);
    expect(view(rows, a, 3)).toEqual([1, 1, 1]);
    expect(view(rows, c, 3)).toEqual([3, 3, 3]);
  });
});
