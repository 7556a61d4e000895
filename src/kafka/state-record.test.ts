import { describe, expect, it } from 'vitest';
import { decodeStateRecord, encodeStateRecord } from './state-record.js';
import type { StreamSnapshot } from '../pipeline/types.js';

const snapshot = (): StreamSnapshot => ({
  v: 2,
  windows: { ring: [11511.349609375, 11388.7001953125, 0, 0, 0], count: 2, lastTs: 1767339000000, nextIndex: 2 },
  lastSeen: 1767339000000,
  scoring: {
    method: 'context',
    profile: { cadenceMs: 300_000, slots: Float32Array.from({ length: 288 }, (_, i) => (i % 7 === 0 ? NaN : 9 + Math.sin(i) / 3)), seen: new Uint8Array(288).fill(3), weekendOffset: -0.25, weekendPoints: 12 },
    sigma: null,
    smooth: { changeScales: Float64Array.of(0.1, NaN, 0.30000000000000004, NaN, 1e-9, 2), sum: 0, previousLog: 9.391751068518428, previousResidual: null },
  },
});

/** A snapshot as the JSON of earlier releases wrote it: typed arrays as number arrays, NaN as null. */
const asLegacyJson = (s: unknown) => JSON.stringify(s, (_key, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array, (x) => (Number.isNaN(x) ? null : x)) : v));

describe('state changelog records', () => {
  it('keep the input topic, and typed arrays as typed arrays, bit for bit, NaN included', () => {
    const s = snapshot();
    const back = decodeStateRecord(encodeStateRecord('eps', s), undefined);
    expect(back.input).toBe('eps');
    expect(back.state).toEqual(s);
    const scoring = back.state.scoring as { profile: { slots: Float32Array; seen: Uint8Array }; smooth: { changeScales: Float64Array } };
    expect(scoring.profile.slots).toBeInstanceOf(Float32Array);
    expect(scoring.profile.seen).toBeInstanceOf(Uint8Array);
    expect(Number.isNaN(scoring.profile.slots[0])).toBe(true);
    expect(scoring.smooth.changeScales[2]).toBe(0.30000000000000004);
  });

  it('hold a 5-minute profile in well under half the bytes of JSON', () => {
    const s = snapshot();
    expect(encodeStateRecord('eps', s).length).toBeLessThan(asLegacyJson(s).length / 2);
  });

  it('read the JSON records of earlier releases, their input topic in a header', () => {
    const legacy = { v: 2, windows: { ring: [1, 2, 3, 4, 5], count: 9, lastTs: null, nextIndex: 9 }, scoring: { method: 'context', profile: { cadenceMs: 1_800_000, slots: [9.5, null], seen: [1, 0] } } };
    expect(decodeStateRecord(Buffer.from(JSON.stringify(legacy)), 'eps')).toEqual({ input: 'eps', state: legacy });
  });
});
