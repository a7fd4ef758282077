import { describe, expect, it } from 'vitest';
import { NodeSeries, SeriesClock } from './series.ts';

describe('series rings', () => {
  it('pairs each node value with the shared bucket time, a late ring holding only its own points', () => {
    const clock = new SeriesClock(4);
    const early = new NodeSeries(clock);
    let late: NodeSeries | undefined;
    for (let i = 1; i <= 6; i++) {
      clock.advance(i * 1000, i * 10);
      early.record(i * 1000, i);
      if (i === 5) late = new NodeSeries(clock);
      late?.record(i * 1000, i * 100);
    }
    expect(clock.points()).toEqual([3, 4, 5, 6].map((i) => ({ at: i * 1000, bytesPerSecond: i * 10 })));
    expect(early.points()).toEqual([3, 4, 5, 6].map((i) => ({ at: i * 1000, bytesPerSecond: i })));
    expect(late?.points()).toEqual([5, 6].map((i) => ({ at: i * 1000, bytesPerSecond: i * 100 })));
    expect(late?.lastActiveAt).toBe(6000);
  });

  it('keeps node rates as 32-bit floats: within 1e-7 of the value', () => {
    const clock = new SeriesClock(2);
    const ring = new NodeSeries(clock);
    clock.advance(1000, 0);
    ring.record(1000, 123_456_789.123);
    expect(ring.points()[0]?.bytesPerSecond).toBeCloseTo(123_456_789.123, -2);
    expect(Math.abs((ring.points()[0]?.bytesPerSecond ?? 0) / 123_456_789.123 - 1)).toBeLessThan(1e-7);
  });
});
