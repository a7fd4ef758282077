import { describe, expect, it } from 'vitest';
import type { FinishedPull, PullView } from '../engine/types.ts';
import { generatePulls } from './test-records.ts';
import { MAX_POINTS, ThroughputSampler } from './throughput.ts';

const START = Date.UTC(2026, 10, 1, 12);
const [template] = [...generatePulls(1, { seed: 2 })];
if (template === undefined) throw new Error('no pull');

/** A finished pull that downloaded `bytes` from START for `downloadMs`, then unpacked for 1 s. */
const finished = (bytes: number, downloadMs: number, extra: Partial<FinishedPull> = {}): FinishedPull => ({
  ...template,
  id: 'node-001/127.0.0.1:5001/lab/alpha:v1#1',
  cluster: 'kind-lab',
  state: 'done',
  queuedAt: START - 500,
  startedAt: START,
  downloadMs,
  unpackMs: 1000,
  finishedAt: START + downloadMs + 1000,
  bytesDownloaded: bytes,
  ...extra,
});

/** What the engine's drains send for that pull: bytes done at `updatedAt`. */
const view = (updatedAt: number, done: number, cluster = 'kind-lab'): PullView => ({
  id: 'node-001/127.0.0.1:5001/lab/alpha:v1#1',
  cluster,
  node: 'node-001',
  image: '127.0.0.1:5001/lab/alpha:v1',
  registry: '127.0.0.1:5001',
  repository: 'lab/alpha',
  state: 'downloading',
  phases: { queuedAt: START - 500, downloadingAt: START },
  bytes: { done, total: 40e6, cached: 0, totalKnown: true },
  rate: 0,
  etaSeconds: null,
  pods: [],
  source: 'both',
  updatedAt,
});

describe('ThroughputSampler', () => {
  it('turns the drained byte counts into per-second rates from the first byte to the end of the download', () => {
    const sampler = new ThroughputSampler();
    // 1 MB/s for 10 s, then 3 MB/s for 10 s, seen once a second.
    for (let s = 1; s <= 19; s++) sampler.observe([view(START + s * 1000, s <= 10 ? s * 1e6 : 10e6 + (s - 10) * 3e6)]);
    const series = sampler.finish(finished(40e6, 20_000));
    expect(series).toEqual({ startAt: START, stepMs: 1000, bytesPerSecond: [...Array(10).fill(1e6), ...Array(10).fill(3e6)] });
    expect(sampler.held().pulls).toBe(0);
  });

  it('keeps at most MAX_POINTS buckets and bounded memory for a long pull, and the bytes add up', () => {
    const sampler = new ThroughputSampler();
    const hours = 2;
    const seconds = hours * 3600;
    // A slow start, then steady, as a cold registry cache warms up.
    const rateAt = (s: number): number => (s < 1200 ? 2e5 : 1e6);
    let done = 0;
    for (let s = 1; s < seconds; s++) {
      done += rateAt(s);
      sampler.observe([view(START + s * 1000, done)]);
      expect(sampler.held().samples).toBeLessThanOrEqual(4 * MAX_POINTS);
    }
    done += rateAt(seconds);
    const series = sampler.finish(finished(done, seconds * 1000));
    expect(series?.stepMs).toBe((seconds * 1000) / MAX_POINTS);
    expect(series?.bytesPerSecond).toHaveLength(MAX_POINTS);
    const total = (series?.bytesPerSecond ?? []).reduce((sum, rate) => sum + (rate * (series?.stepMs ?? 0)) / 1000, 0);
    expect(Math.abs(total - done) / done).toBeLessThan(1e-6);
    // Thinned samples are 1/120 of the pull apart or closer, so only the buckets next to the change blur.
    expect(series?.bytesPerSecond.slice(0, 4)).toEqual(Array(4).fill(2e5));
    expect(series?.bytesPerSecond.slice(6)).toEqual(Array(MAX_POINTS - 6).fill(1e6));
  });

  it('gives no series for a pull seen only before or after its download, or cached', () => {
    const sampler = new ThroughputSampler();
    expect(sampler.finish(finished(40e6, 20_000))).toBeUndefined();
    sampler.observe([view(START + 5000, 0)]);
    expect(sampler.held().pulls).toBe(0);
    sampler.observe([view(START + 30_000, 40e6)]); // after the download ended
    expect(sampler.finish(finished(40e6, 20_000))).toBeUndefined();
    sampler.observe([view(START + 1000, 1e6)]);
    expect(sampler.finish(finished(0, 0, { state: 'cached', bytesDownloaded: 0 }))).toBeUndefined();
  });

  it('ignores views re-sent or out of order, and keeps clusters apart', () => {
    const sampler = new ThroughputSampler();
    sampler.observe([view(START + 1000, 1e6), view(START + 1000, 1e6), view(START + 1000, 2e6, 'prod')]);
    sampler.observe([view(START + 2000, 2e6), view(START + 1500, 5e6), view(START + 3000, 1e6)]);
    expect(sampler.held().pulls).toBe(2);
    expect(sampler.finish(finished(4e6, 4000))?.bytesPerSecond).toEqual([1e6, 1e6, 1e6, 1e6]);
    expect(sampler.finish(finished(2e6, 1000, { cluster: 'prod' }))).toBeUndefined(); // its only sample is the end
    expect(sampler.held().pulls).toBe(0);
  });

  it('forgets a pull not seen for an hour (its cluster went away without finishing it)', () => {
    const sampler = new ThroughputSampler();
    sampler.observe([view(START + 1000, 1e6)]);
    sampler.observe([{ ...view(START + 3_600_000, 1e6), id: 'other', cluster: 'prod' }]);
    expect(sampler.held().pulls).toBe(2);
    sampler.observe([{ ...view(START + 3_602_000, 2e6), id: 'other', cluster: 'prod' }]);
    expect(sampler.held().pulls).toBe(1);
  });
});
