import { describe, expect, it } from 'vitest';
import { OTHER, stackTopNodes } from './chart-data.ts';

const series = (rate: number, n = 5) => Array.from({ length: n }, (_, i) => ({ at: 1000 + i * 1000, bytesPerSecond: rate }));

describe('stackTopNodes', () => {
  it('keeps the top N nodes and sums the rest into "other", one row per bucket', () => {
    const nodes = new Map([
      ['a', series(10)],
      ['b', series(30)],
      ['c', series(20)],
      ['d', series(1)],
      ['e', series(2)],
    ]);
    const stacked = stackTopNodes(nodes, 2, 300);
    expect(stacked.keys).toEqual(['b', 'c', OTHER]);
    expect(stacked.rows).toHaveLength(5);
    expect(stacked.rows[0]).toEqual({ at: 1000, b: 30, c: 20, [OTHER]: 13 });
  });

  it('bounds the rows to the window', () => {
    const stacked = stackTopNodes(new Map([['a', series(1, 1000)]]), 5, 300);
    expect(stacked.rows).toHaveLength(300);
    expect(stacked.keys).toEqual(['a']);
  });
});
