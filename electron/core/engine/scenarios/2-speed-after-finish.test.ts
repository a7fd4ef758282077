import { describe, expect, it } from 'vitest';
import { ALPHA, ALPHA_30M, BIG, BIG_50M, MiB } from './lab-images.ts';
import { fetchImage, Lab } from './timeline.ts';

describe('2. when one of two concurrent pulls finishes, the other pull and the total keep the right speed at once', () => {
  it('keeps big at its rate and the node total right the moment alpha finishes (no dip to 0, no slow recovery)', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).pulling(BIG).manifest(ALPHA).manifest(BIG);
    fetchImage(lab, ALPHA, 4_000_000);
    lab.fetch(BIG.config, 1_000_000).fetch(BIG_50M, 1_000_000);
    lab.run(6_000);
    const finishedAt: number[] = [];
    lab.run(10_000, (l) => {
      if (!l.isFetching(ALPHA_30M) && finishedAt.length === 0) {
        l.imageCreated(ALPHA.image, ALPHA.manifest);
        finishedAt.push(l.now);
      }
      if (finishedAt.length === 0) return;
      // From the first instant after alpha is done: big alone, at its own 1 MB/s.
      const big = l.pull(BIG);
      expect(big.rate).toBeGreaterThan(0.95e6);
      expect(big.rate).toBeLessThan(1.05e6);
      expect(l.nodeRate()).toBeCloseTo(big.rate, 0);
    });
    expect(finishedAt).toHaveLength(1);
    expect(lab.pull(ALPHA).state).toBe('done');
    const series = lab.engine.series().cluster.filter((p) => p.at > (finishedAt[0] ?? 0));
    expect(series.length).toBeGreaterThan(3);
    for (const point of series) expect(point.bytesPerSecond).toBeGreaterThan(0.95e6);
  });

  it('credits a committed layer to its full size although the final partial MiB was never shown', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).manifest(ALPHA).fetch(ALPHA_30M, 3_000_000).run(5_000);
    const before = lab.pull(ALPHA).layers.find((l) => l.digest === ALPHA_30M.digest);
    expect((before?.done ?? 0) % MiB).toBe(0);
    lab.run(7_000);
    const after = lab.pull(ALPHA).layers.find((l) => l.digest === ALPHA_30M.digest);
    expect(after).toMatchObject({ done: ALPHA_30M.size, state: 'done', rate: 0 });
  });

  it('never reads a negative or zero rate while an ingest retried from a lower offset keeps moving', () => {
    const lab = new Lab().connect();
    lab.pulling(BIG).manifest(BIG).fetch(BIG_50M, 2_000_000).run(8_000);
    const highWater = lab.pull(BIG).bytes.done;
    lab.restart(BIG_50M, 2 * MiB);
    lab.run(12_000, (l) => {
      const big = l.pull(BIG);
      expect(big.rate).toBeGreaterThan(0);
      expect(big.bytes.done).toBeGreaterThanOrEqual(highWater);
      for (const point of l.engine.series().cluster.slice(-1)) expect(point.bytesPerSecond).toBeGreaterThan(0);
    });
  });

  it('shows 500 kB/s steadily although offsets move only one MiB every two seconds', () => {
    const lab = new Lab().connect();
    lab.pulling(BIG).manifest(BIG).fetch(BIG_50M, 500_000).run(6_000);
    lab.run(20_000, (l) => {
      const rate = l.pull(BIG).rate;
      expect(rate).toBeGreaterThan(0.47e6);
      expect(rate).toBeLessThan(0.53e6);
    });
  });
});
