// Per-ingest byte counting and rate estimation.
//
// containerd reports an ingest's offset in 1 MiB steps and stamps each write with updated_at (the
// data file's mtime). Sampling offsets at arrival time would turn a steady 500 kB/s pull into a
// saw-tooth of 0 and 1 MiB/s readings. Instead each sample is (updated_at, transferred): the time
// containerd itself wrote the step. The rate is the bytes between the oldest and newest sample in
// the window divided by the time between them — exact for steady flow, independent of poll timing.
// Between two steps the reading holds; once more time has passed since the last step than two
// usual step intervals (one for the step, one for the poll that has to notice it), it decays as
// bytes / (span + overdue), and reads 0 only after stallAfterMs without progress (the stall
// threshold).
//
// `transferred` is monotonic: the sum of positive offset deltas. An ingest restarted from a lower
// offset (a retry) adds nothing when it drops and counts again as it climbs, so no rate is ever
// negative and none reads 0 while bytes move.

const CAPACITY = 12;

// A rate record is one packed double array: the scalars first, then the ring. Reading a rate (every
// pull view and node total asks, for each live layer) then touches only its first few slots —
// the window's span and bytes are kept there as samples come, not read from the ring's two ends —
// and the blob reaches the record in one hop (a class holding the array was one more): the rate
// reads were a third of the drains' CPU at the 2,000-node load, mostly cache misses.
/** Engine time when progress was last observed (drives stall and decay in the engine's clock). */
const LAST_PROGRESS_AT = 0;
/** Bytes and node time between the oldest and the newest sample in the window. */
const MOVED = 1;
const SPAN = 2;
/** Rate memo for one engine time (node totals, pull status and layer views all ask for it). */
const RATE_AT = 3;
const RATE_VALUE = 4;
/** Last offset containerd reported (may drop when an ingest restarts). */
const LAST_OFFSET = 5;
/** Sum of positive offset deltas: what the ring's counters count. */
const TRANSFERRED = 6;
/** The ring's newest slot and its number of samples (small integers, exact as doubles). */
const HEAD = 7;
const COUNT = 8;
const WINDOW_MS = 9;
/** Node-clock times (containerd's updated_at) and transferred counters, interleaved (slot i's time
 * at RING + 2i, its counter after it): the samples within the window (always at least two once
 * progress was seen). */
const RING = 10;
const SLOTS = RING + 2 * CAPACITY;

/** One live ingest's rate record (see above; read and written only through this module). A plain
 * array, not a typed array: that costs an ArrayBuffer and an off-heap backing store (measured
 * ~0.9 KB per array). */
export type RateSamples = number[] & { readonly __rateSamples: true };

/** Records of ingests that ended, for the next ingests to start (bounded). Thousands of ingests start
 * and end every second on a large cluster; each record lives for the seconds its layer downloads,
 * long enough to be promoted to V8's old generation, where every one dropped would be garbage
 * until the next full GC. Reused records are reset entirely, so nothing carries over. */
const spare: RateSamples[] = [];
const SPARE_MAX = 1024;

export function newSamples(at: number, nodeTime: number, offset: number, windowMs: number): RateSamples {
  // Filled with a non-integer so it starts as a packed double array (ring slots beyond the count
  // are never read).
  const samples = spare.pop() ?? (new Array<number>(SLOTS).fill(0.5) as RateSamples);
  samples[LAST_PROGRESS_AT] = at;
  samples[MOVED] = 0;
  samples[SPAN] = 0;
  samples[RATE_AT] = -1;
  samples[RATE_VALUE] = 0;
  samples[LAST_OFFSET] = offset;
  samples[TRANSFERRED] = 0;
  samples[HEAD] = 0;
  samples[COUNT] = 0;
  samples[WINDOW_MS] = windowMs;
  push(samples, nodeTime, 0);
  return samples;
}

/** Hands the record of an ingest that ended back for reuse; the caller drops every reference to it. */
export function releaseSamples(samples: RateSamples): void {
  if (spare.length < SPARE_MAX) spare.push(samples);
}

const slotOf = (samples: RateSamples, key: number): number => samples[key] ?? 0;
const timeAt = (samples: RateSamples, slot: number): number => samples[RING + 2 * slot] ?? 0;
const bytesAt = (samples: RateSamples, slot: number): number => samples[RING + 2 * slot + 1] ?? 0;

/** The ring slot of the oldest of `count` samples ending at `head`. */
const oldestOf = (head: number, count: number): number => (head - count + 1 + CAPACITY) % CAPACITY;

function push(samples: RateSamples, time: number, transferred: number): void {
  const head = (slotOf(samples, HEAD) + 1) % CAPACITY;
  samples[HEAD] = head;
  samples[RING + 2 * head] = time;
  samples[RING + 2 * head + 1] = transferred;
  let count = Math.min(CAPACITY, slotOf(samples, COUNT) + 1);
  // Drop samples that left the window, keeping the newest two whatever their age.
  const windowMs = slotOf(samples, WINDOW_MS);
  while (count > 2 && time - timeAt(samples, oldestOf(head, count - 1)) >= windowMs) count--;
  samples[COUNT] = count;
  const oldest = oldestOf(head, count);
  samples[MOVED] = transferred - bytesAt(samples, oldest);
  samples[SPAN] = time - timeAt(samples, oldest);
}

export function newestTime(samples: RateSamples): number {
  return timeAt(samples, slotOf(samples, HEAD));
}

export function lastProgressAt(samples: RateSamples): number {
  return slotOf(samples, LAST_PROGRESS_AT);
}

/** The ingest is alive (its updated_at moved) though no new offset step shows yet. */
export function noteAlive(samples: RateSamples, at: number): void {
  samples[LAST_PROGRESS_AT] = at;
}

export function lastOffset(samples: RateSamples): number {
  return slotOf(samples, LAST_OFFSET);
}

export function setLastOffset(samples: RateSamples, offset: number): void {
  samples[LAST_OFFSET] = offset;
}

export function transferred(samples: RateSamples): number {
  return slotOf(samples, TRANSFERRED);
}

/** Records that `delta` more bytes arrived, written by containerd at node time `nodeTime` and
 * observed at engine time `at`. When the node clock did not advance (a repeated or bogus
 * updated_at), the engine's elapsed time stands in so the span stays positive. */
export function recordProgress(samples: RateSamples, delta: number, nodeTime: number, at: number): void {
  const last = newestTime(samples);
  const time = nodeTime > last ? nodeTime : last + Math.max(1, at - lastProgressAt(samples));
  const total = transferred(samples) + delta;
  samples[TRANSFERRED] = total;
  samples[LAST_PROGRESS_AT] = at;
  push(samples, time, total);
}

/** Bytes per second at engine time `now`. */
export function rateAt(samples: RateSamples, now: number, stallAfterMs: number): number {
  const sinceProgress = now - lastProgressAt(samples);
  const count = slotOf(samples, COUNT);
  if (count < 2 || sinceProgress >= stallAfterMs) return 0;
  const span = slotOf(samples, SPAN);
  const moved = slotOf(samples, MOVED);
  if (span <= 0 || moved <= 0) return 0;
  const usualStep = span / (count - 1);
  const overdue = Math.max(0, sinceProgress - 2 * usualStep);
  return (moved * 1000) / (span + overdue);
}

/** rateAt, remembered for one engine time (until forgetRate). */
export function memoRate(samples: RateSamples, now: number, stallAfterMs: number): number {
  if (samples[RATE_AT] !== now) {
    samples[RATE_AT] = now;
    samples[RATE_VALUE] = rateAt(samples, now, stallAfterMs);
  }
  return slotOf(samples, RATE_VALUE);
}

/** The record changed: the memo no longer holds. */
export function forgetRate(samples: RateSamples): void {
  samples[RATE_AT] = -1;
}
