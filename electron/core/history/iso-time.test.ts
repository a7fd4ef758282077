import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFormatter } from './iso-time.ts';

describe('isoFormatter', () => {
  it('prints exactly what Date#toISOString prints, for runs of nearby times and jumps between days', () => {
    const times = fc.array(
      fc.oneof(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        // Across (almost) the whole range Date accepts, including negative years and years past 9999.
        fc.integer({ min: -8.64e15, max: 8.639e15 }),
        fc.double({ min: 0, max: 4e12, noNaN: true }),
      ),
      { minLength: 1, maxLength: 50 },
    );
    fc.assert(
      fc.property(times, fc.integer({ min: 0, max: 90_000 }), (starts, step) => {
        const iso = isoFormatter();
        for (const start of starts) {
          // A run of times a few seconds apart, as an export's rows are.
          for (let at = start, i = 0; i < 20; i++, at += step) expect(iso(at)).toBe(new Date(at).toISOString());
        }
      }),
      { numRuns: 200 },
    );
  });

  it('crosses midnight, month and leap-day boundaries', () => {
    const iso = isoFormatter();
    for (const at of [Date.UTC(2024, 1, 28, 23, 59, 59, 999), Date.UTC(2024, 1, 29), Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2024, 2, 1), Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), 0, -1]) {
      expect(iso(at)).toBe(new Date(at).toISOString());
    }
  });
});
