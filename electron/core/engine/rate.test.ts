// The rate records of ingests that ended are reused (rate.ts, memory): a reused record must read
// exactly like a fresh one, whatever the previous ingest left in it.
import { describe, expect, it } from 'vitest';
import { lastOffset, newSamples, rateAt, recordProgress, releaseSamples, transferred, type RateSamples } from './rate.ts';

const MiB = 1_048_576;

/** An ingest writing 1 MiB every `stepMs` from node time `t`, observed at the same times. */
function climb(samples: RateSamples, t: number, steps: number, stepMs: number): number {
  for (let i = 1; i <= steps; i++) recordProgress(samples, MiB, t + i * stepMs, t + i * stepMs);
  return t + steps * stepMs;
}

describe('rate samples', () => {
  it('a record reused after its ingest ended reads like a fresh one', () => {
    const old = newSamples(0, 0, 0, 5_000);
    climb(old, 0, 11, 250);
    releaseSamples(old);
    const reused = newSamples(10_000, 10_000, 3 * MiB, 5_000);
    expect(reused).toBe(old);
    expect(rateAt(reused, 10_000, 10_000)).toBe(0);
    expect(lastOffset(reused)).toBe(3 * MiB);
    expect(transferred(reused)).toBe(0);
    const end = climb(reused, 10_000, 3, 1_000);
    const fresh = newSamples(10_000, 10_000, 3 * MiB, 5_000);
    climb(fresh, 10_000, 3, 1_000);
    expect(rateAt(reused, end, 10_000)).toBe(rateAt(fresh, end, 10_000));
    expect(rateAt(reused, end, 10_000)).toBeCloseTo(MiB, 6);
  });
});
