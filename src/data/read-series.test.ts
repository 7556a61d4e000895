import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSeries, SeriesReadError, seriesToMatrix } from './index.js';

let dir: string;
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anomalyd-series-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readError(file: string, opts = {}): Promise<SeriesReadError> {
  try {
    await readSeries(file, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(SeriesReadError);
    return err as SeriesReadError;
  }
  throw new Error(`expected ${file} to fail`);
}

describe('readSeries csv', () => {
  it('reads one value per line without a header, like the EPS series', async () => {
    const s = await readSeries(write('plain.csv', '7009.73\n5900.36\n\n5076.96\n'));
    expect(s.columns).toEqual(['value']);
    expect(s.rows).toEqual([[7009.73], [5900.36], [5076.96]]);
    expect(s.timestamps).toEqual([null, null, null]);
    expect(s.labels).toBeUndefined();
  });

  it('reads the shared EPS training file', async () => {
    const s = await readSeries('../shared/data/eps/timeseries1.csv');
    expect(s.rows.length).toBeGreaterThan(400);
    expect(Math.min(...s.rows.map((r) => r[0]))).toBeCloseTo(3002.69, 2);
  });

  it('reads a header with timestamp and label, excluding both from features', async () => {
    const s = await readSeries(
      write('nab.csv', 'timestamp,value,label\n2014-04-01 00:00:00,1.5,0\n2014-04-01 00:05:00,2.5,1\n'),
    );
    expect(s.columns).toEqual(['value']);
    expect(s.rows).toEqual([[1.5], [2.5]]);
    expect(s.timestamps).toEqual([Date.UTC(2014, 3, 1, 0, 0), Date.UTC(2014, 3, 1, 0, 5)]);
    expect(s.labels).toEqual([0, 1]);
  });

  it('defaults to every numeric column and lets the caller pick and order columns', async () => {
    const p = write('multi.csv', 'ts,host,cpu,mem\n1700000000,a,0.5,10\n1700000060,b,0.7,11\n');
    const all = await readSeries(p);
    expect(all.columns).toEqual(['cpu', 'mem']);
    expect(all.timestamps).toEqual([1_700_000_000_000, 1_700_000_060_000]);
    const picked = await readSeries(p, { columns: ['mem', 'cpu'] });
    expect(picked.rows).toEqual([[10, 0.5], [11, 0.7]]);
    expect(Array.from(seriesToMatrix(picked))).toEqual([10, 0.5, 11, Math.fround(0.7)]);
  });

  it('reads headerless multi-column rows', async () => {
    const s = await readSeries(write('two.csv', '1,2\n3,4\n'));
    expect(s.columns).toEqual(['value1', 'value2']);
    expect(s.rows).toEqual([[1, 2], [3, 4]]);
  });

  it('names the file, line and problem for a non-numeric value', async () => {
    const e = await readError(write('bad.csv', '1\n2\nabc\n4\n'));
    expect(e.line).toBe(3);
    expect(e.message).toBe(`${join(dir, 'bad.csv')}:3: non-numeric value "abc" in column "value"`);
  });

  it('rejects an empty value in a headed file with its line', async () => {
    const e = await readError(write('empty-cell.csv', 'a,b\n1,2\n3,\n'));
    expect(e.message).toMatch(/empty-cell\.csv:3: empty value in column "b"/);
  });

  it('rejects ragged rows', async () => {
    const e = await readError(write('ragged.csv', '1,2\n3,4\n5\n'));
    expect(e.message).toMatch(/ragged\.csv:3: ragged row: expected 2 field\(s\), found 1/);
  });

  it('rejects an empty file and a header-only file', async () => {
    expect((await readError(write('empty.csv', ''))).message).toMatch(/empty\.csv: empty file/);
    expect((await readError(write('header.csv', 'timestamp,value\n'))).message).toMatch(/header\.csv: empty file/);
  });

  it('rejects a missing file and a directory', async () => {
    expect((await readError(join(dir, 'nope.csv'))).message).toBe(`${join(dir, 'nope.csv')}: cannot read: no such file`);
    mkdirSync(join(dir, 'adir'));
    expect((await readError(join(dir, 'adir'))).message).toMatch(/adir: cannot read: is a directory/);
  });

  it('rejects an unknown column name and a bad timestamp', async () => {
    const p = write('cols.csv', 'timestamp,value\nyesterday,1\n');
    expect((await readError(p, { columns: ['cpu'] })).message).toMatch(/no column named "cpu" \(columns: timestamp, value\)/);
    expect((await readError(p)).message).toMatch(/cols\.csv:2: invalid timestamp "yesterday"/);
  });
});

describe('readSeries ndjson', () => {
  it('reads value and values objects with timestamps and labels', async () => {
    const s = await readSeries(
      write('a.ndjson', '{"ts":"2024-01-01T00:00:00Z","value":3,"label":0}\n\n{"ts":1704067260000,"value":4,"label":1}\n'),
    );
    expect(s.columns).toEqual(['value']);
    expect(s.rows).toEqual([[3], [4]]);
    expect(s.timestamps).toEqual([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1, 0, 1)]);
    expect(s.labels).toEqual([0, 1]);
    const m = await readSeries(write('b.jsonl', '{"values":[1,2]}\n{"values":[3,4]}\n'));
    expect(m.columns).toEqual(['value1', 'value2']);
    expect(m.timestamps).toEqual([null, null]);
  });

  it('reads named fields when columns are given', async () => {
    const s = await readSeries(write('c.ndjson', '{"cpu":1,"mem":2}\n{"cpu":3,"mem":4}\n'), { columns: ['mem', 'cpu'] });
    expect(s.rows).toEqual([[2, 1], [4, 3]]);
  });

  it('names the line for invalid JSON, non-numeric values and ragged rows', async () => {
    expect((await readError(write('d.ndjson', '{"value":1}\n{oops\n'))).message).toMatch(/d\.ndjson:2: invalid JSON/);
    expect((await readError(write('e.ndjson', '{"value":1}\n{"value":"x"}\n'))).message).toMatch(
      /e\.ndjson:2: non-numeric value "x" in field "value"/,
    );
    expect((await readError(write('f.ndjson', '{"values":[1,2]}\n\n{"values":[1]}\n'))).message).toMatch(
      /f\.ndjson:3: ragged row: expected 2 value\(s\), found 1/,
    );
    expect((await readError(write('g.ndjson', '{"ts":1}\n'))).message).toMatch(/g\.ndjson:1: missing "value" or "values" field/);
  });
});
