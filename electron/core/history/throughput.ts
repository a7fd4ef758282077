// A compact download-rate series per pull, for the history charts. The engine's FinishedPull
// carries only the average and peak rate, so the series is sampled here from what the app already
// drains from its engines: each downloading pull's PullView (bytes done at `updatedAt`), about once
// a second. While a pull runs its samples are cumulative byte counts; when it finishes they become
// average rates over at most MAX_POINTS equal buckets, from its first moving byte to the end of
// its download.
import type { FinishedPull, PullView } from '../engine/types.ts';

/** Most buckets stored per pull: enough for a chart's shape, ~250 bytes of JSON at most (every
 * stored number is parsed again by each export, so the series stays short). */
export const MAX_POINTS = 30;
const MIN_STEP_MS = 1000;
// Samples kept per running pull. At this count the samples are thinned to half as many, evenly
// spaced in time, and later ones are kept only that far apart: a pull running for hours takes no
// more memory than a short one (the buckets only need cumulative bytes over time).
const MAX_SAMPLES = 4 * MAX_POINTS;
// A pull not seen for this long (its cluster was removed without a FinishedPull) is forgotten.
const FORGET_AFTER_MS = 3_600_000;

export interface PullThroughput {
  /** Start of the first bucket: when the pull's first byte moved (ms since the epoch). */
  startAt: number;
  /** Width of every bucket but the last, which ends where the download ended; a whole second. */
  stepMs: number;
  /** Average download rate in each bucket, bytes per second, rounded. */
  bytesPerSecond: number[];
}

interface Samples {
  at: number[];
  bytes: number[];
  /** Least time between two kept samples (0 until the first thinning). */
  gapMs: number;
}

export class ThroughputSampler {
  /** Samples per running pull, by cluster and pull id. */
  private readonly pulls = new Map<string, Samples>();
  private latest = 0;

  /** Takes the pulls of one drain (the engine's upserts). */
  observe(views: readonly PullView[]): void {
    for (const view of views) {
      this.latest = Math.max(this.latest, view.updatedAt);
      if (view.bytes.done <= 0) continue; // nothing moved yet (queued, resolving, cached)
      const key = keyOf(view);
      let samples = this.pulls.get(key);
      if (samples === undefined) {
        samples = { at: [], bytes: [], gapMs: 0 };
        this.pulls.set(key, samples);
      }
      const lastAt = samples.at.at(-1);
      const lastBytes = samples.bytes.at(-1);
      // A view sent again unchanged, or out of order, adds nothing.
      if (lastAt !== undefined && lastBytes !== undefined && (view.updatedAt <= lastAt || view.bytes.done < lastBytes)) continue;
      add(samples, view.updatedAt, view.bytes.done);
    }
    for (const [id, samples] of this.pulls) {
      if (this.latest - (samples.at.at(-1) ?? 0) > FORGET_AFTER_MS) this.pulls.delete(id);
    }
  }

  /** What is held in memory (for tests and diagnostics): running pulls and their samples. */
  held(): { pulls: number; samples: number } {
    let samples = 0;
    for (const s of this.pulls.values()) samples += s.at.length;
    return { pulls: this.pulls.size, samples };
  }

  /** The series of a pull that just finished, and forgets its samples. Undefined when nothing
   * was seen while it downloaded (a cached pull, or one shorter than a drain interval): its
   * average rate then says all that is known. */
  finish(pull: FinishedPull): PullThroughput | undefined {
    const samples = this.pulls.get(keyOf(pull));
    this.pulls.delete(keyOf(pull));
    const firstAt = samples?.at[0];
    if (samples === undefined || firstAt === undefined || pull.bytesDownloaded <= 0) return undefined;
    const startAt = Math.min(pull.startedAt ?? firstAt, firstAt);
    const endAt = pull.startedAt !== undefined && pull.downloadMs !== undefined ? pull.startedAt + pull.downloadMs : pull.finishedAt;
    // Cumulative bytes over time: nothing at the start, the samples, everything at the end.
    const at = [startAt];
    const bytes = [0];
    samples.at.forEach((t, i) => {
      if (t > startAt && t < endAt) {
        at.push(t);
        bytes.push(samples.bytes[i] ?? 0);
      }
    });
    if (at.length < 2 || endAt <= startAt) return undefined;
    at.push(endAt);
    bytes.push(Math.max(pull.bytesDownloaded, bytes.at(-1) ?? 0));
    return buckets(at, bytes, startAt, endAt);
  }
}

// Pull ids are unique within a cluster only.
const keyOf = (pull: { cluster: string; id: string }): string => `${pull.cluster}\u0000${pull.id}`;

/** Average rates over equal buckets, from cumulative bytes interpolated linearly between samples. */
function buckets(at: readonly number[], bytes: readonly number[], startAt: number, endAt: number): PullThroughput {
  const stepMs = Math.max(MIN_STEP_MS, Math.ceil((endAt - startAt) / MAX_POINTS / MIN_STEP_MS) * MIN_STEP_MS);
  let i = 0;
  const bytesAt = (t: number): number => {
    while (i < at.length - 2 && (at[i + 1] ?? 0) <= t) i++;
    const t0 = at[i] ?? 0;
    const t1 = at[i + 1] ?? t0;
    const b0 = bytes[i] ?? 0;
    const b1 = bytes[i + 1] ?? b0;
    return t1 === t0 ? b1 : b0 + ((b1 - b0) * (t - t0)) / (t1 - t0);
  };
  const bytesPerSecond: number[] = [];
  let before = 0;
  for (let from = startAt; from < endAt; from += stepMs) {
    const to = Math.min(from + stepMs, endAt);
    const after = bytesAt(to);
    bytesPerSecond.push(Math.round(((after - before) * 1000) / (to - from)));
    before = after;
  }
  return { startAt, stepMs, bytesPerSecond };
}

function add(samples: Samples, at: number, bytes: number): void {
  const n = samples.at.length;
  // Closer than gapMs to the sample before the last: the newest sample replaces the last one.
  if (n >= 2 && at - (samples.at[n - 2] ?? 0) < samples.gapMs) {
    samples.at[n - 1] = at;
    samples.bytes[n - 1] = bytes;
    return;
  }
  samples.at.push(at);
  samples.bytes.push(bytes);
  if (n + 1 < MAX_SAMPLES) return;
  // Thin to about MAX_SAMPLES / 2, evenly over time, keeping the first and the last sample.
  const first = samples.at[0] ?? at;
  samples.gapMs = Math.max(2 * samples.gapMs, (at - first) / (MAX_SAMPLES / 2));
  const keptAt = [first];
  const keptBytes = [samples.bytes[0] ?? 0];
  for (let i = 1; i < samples.at.length; i++) {
    const t = samples.at[i] ?? 0;
    if (i === samples.at.length - 1 || t - (keptAt.at(-1) ?? 0) >= samples.gapMs) {
      keptAt.push(t);
      keptBytes.push(samples.bytes[i] ?? 0);
    }
  }
  samples.at = keptAt;
  samples.bytes = keptBytes;
}
