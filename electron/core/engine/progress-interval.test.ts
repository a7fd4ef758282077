import { describe, expect, it } from 'vitest';
import { progressIntervalFor } from './engine.ts';

describe('progress interval by default', () => {
  it('is 250 ms for a few thousand active pulls and grows to 1 s at 10 k, never beyond', () => {
    expect([0, 1, 2_500, 5_000, 10_000, 200_000].map(progressIntervalFor)).toEqual([250, 250, 250, 500, 1_000, 1_000]);
  });
});
