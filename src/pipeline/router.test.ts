import { describe, expect, it } from 'vitest';
import { StreamRouter } from './router.js';

const models = new Map([
  ['fw', { seqStep: 5, features: 1, threshold: 0.1 }],
  ['proxy', { seqStep: 3, features: 2, threshold: 0.2 }],
]);
const alert = { openAfter: 1, resolveAfter: 5 };

describe('StreamRouter', () => {
  it('takes the first matching rule, by glob or regex, with threshold override', () => {
    const r = new StreamRouter(
      [
        { regex: '^proxy-\\d+$', model: 'proxy', alert },
        { match: 'fw-*', model: 'fw', threshold: 0.5, alert },
        { match: '*', model: 'fw', alert },
      ],
      models,
    );
    expect(r.route('proxy-12')).toMatchObject({ model: 'proxy', seqStep: 3, features: 2, threshold: 0.2 });
    expect(r.route('fw-01')).toMatchObject({ model: 'fw', threshold: 0.5 });
    expect(r.route('dns')).toMatchObject({ model: 'fw', threshold: 0.1 });
  });

  it('returns null when no rule matches', () => {
    const r = new StreamRouter([{ match: 'fw-*', model: 'fw', alert }], models);
    expect(r.route('dns-1')).toBeNull();
  });

  it('refuses a rule naming a model that is not loaded', () => {
    expect(() => new StreamRouter([{ match: '*', model: 'nope', alert }], models)).toThrow(/streams\[0\]\.model/);
  });

  it('matches a catastrophic-backtracking pattern on a linear-time engine', () => {
    // On a backtracking engine ^(a+)+$ against a run of "a" ending in "!" tries every way to split
    // the run: 2^27 for this id, and the 5000-character one would never finish.
    const r = new StreamRouter(
      [
        { regex: '^(a+)+$', model: 'proxy', alert },
        { match: '*', model: 'fw', alert },
      ],
      models,
    );
    expect(r.route('a'.repeat(27) + '!')).toMatchObject({ model: 'fw' });
    expect(r.route('a'.repeat(5000) + '!')).toMatchObject({ model: 'fw' });
    expect(r.route('a'.repeat(27))).toMatchObject({ model: 'proxy' });
  });
});
