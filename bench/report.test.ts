import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOALS, meets, renderReport } from './report.ts';

describe('benchmark report', () => {
  it('covers every goal of the performance bar with a bound', () => {
    expect(GOALS.map((g) => `${g.bench}.${g.key}`)).toEqual(expect.arrayContaining([
      'engine.cpu_fraction_of_core', 'engine.decode_ratio', 'engine.rss_mib', 'engine.rate_error_pct',
      'agent.rss_mib', 'agent.idle_cpu_pct', 'agent.busy_cpu_pct', 'agent.freshness_p95_ms',
      'history.csv_100k_s', 'history.csv_rss_growth_mib', 'ui.p95_frame_ms', 'ui.bridge_kb_per_s',
    ]));
    const strict = GOALS.find((g) => g.op === '<');
    const inclusive = GOALS.find((g) => g.op === '≤');
    expect(strict && meets(strict, strict.limit)).toBe(false);
    expect(inclusive && meets(inclusive, inclusive.limit)).toBe(true);
  });

  it('reports figures, ratios, misses, absent results, and results older than the run', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-report-'));
    writeFileSync(path.join(dir, 'engine.json'), JSON.stringify({ cpu_fraction_of_core: 0.2, decode_ratio: 2.5, rss_mib: 450, rate_error_pct: 0.01 }));
    writeFileSync(path.join(dir, 'history.json'), JSON.stringify({ csv_100k_s: 1.5, csv_rss_growth_mib: 20, query_1m_ms: 9 }));
    const old = new Date('2026-01-01T00:00:00Z');
    utimesSync(path.join(dir, 'history.json'), old, old);
    const { markdown, missed } = renderReport({ resultsDir: dir, runStartedAt: Date.parse('2026-06-01T00:00:00Z'), loadAverageAtStart: 0.5, command: 'npm run bench' });
    expect(markdown).toMatch(/\| engine \| engine peak RSS[^|]*\| ≤ 300 MiB \| 450 \| 1\.50 \| \*\*missed\*\* \| this run \|/);
    expect(markdown).toMatch(/\| history \| CSV export of 100 k rows \| < 2 s \| 1\.5 \| 0\.75 \| met \| earlier: 2026-01-01 00:00 UTC \|/);
    expect(markdown).toMatch(/\| agent \| agent RSS[^|]*\| < 60 MiB \| not measured \| — \| \*\*no figure\*\* \|/);
    expect(markdown).toContain('load average at start 0.50');
    expect(missed).toEqual(expect.arrayContaining(['engine.rss_mib', 'agent.rss_mib', 'ui.p95_frame_ms']));
    expect(missed).not.toContain('history.csv_100k_s');
  });

  it('dates a result by the bench’s own stamp, not by the file (a clone writes every file anew)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-report-'));
    writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ rss_mib: 55, idle_cpu_pct: 0.5, busy_cpu_pct: 2, freshness_p95_ms: 250, details: { measured_at: '2026-02-03T04:05:06Z' } }));
    writeFileSync(path.join(dir, 'ui.json'), JSON.stringify({ p95_frame_ms: 5, bridge_kb_per_s: 30, measured_at: '2026-07-01T00:00:00Z' }));
    const { markdown } = renderReport({ resultsDir: dir, runStartedAt: Date.parse('2026-06-01T00:00:00Z'), loadAverageAtStart: 0.5, command: 'npm run bench' });
    expect(markdown).toMatch(/\| agent \| agent RSS[^|]*\| < 60 MiB \| 55\.0 \| 0\.92 \| met \| earlier: 2026-02-03 04:05 UTC \|/);
    expect(markdown).toMatch(/\| ui \| renderer main-thread[^|]*\| < 16 ms \| 5 \| [0-9.]+ \| met \| this run \|/);
  });
});
