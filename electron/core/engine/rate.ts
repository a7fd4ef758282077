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

/** Where the scalar doubles live in the record's array, after the ring. */
const TRANSFERRED = 2 * CAPACITY;
const LAST_PROGRESS_AT = TRANSFERRED + 1;
const LAST_OFFSET = TRANSFERRED + 2;
const RATE_AT = TRANSFERRED + 3;
const RATE_VALUE = TRANSFERRED + 4;
const SLOTS = TRANSFERRED + 5;

/** One live ingest's rate record. A class whose doubles all sit in one packed double array behind
 * accessors: as object fields, each double would be a separate 16-byte heap number plus its
 * field (measured: −1.9 MiB retained at 40 k live ingests). */
export class RateSamples {
  /** Node-clock times (containerd's updated_at) and transferred counters, interleaved (slot i's
   * time at 2i, its counter at 2i + 1): a ring of CAPACITY holding the samples within the window
   * (always at least two once progress was seen), so reading a rate needs no search; then the
   * scalars below. One plain number array: a typed array costs an ArrayBuffer and an off-heap
   * backing store (measured ~0.9 KB per array). */
  values: number[];
  head: number;
  count: number;
  windowMs: number;

  constructor(windowMs: number) {
    // Filled with a non-integer so it starts as a packed double array (ring slots beyond `count`
    // are never read).
    this.values = new Array<number>(SLOTS).fill(0.5);
    this.head = 0;
    this.count = 0;
    this.windowMs = windowMs;
  }

  get transferred(): number {
    return this.values[TRANSFERRED] ?? 0;
  }

  set transferred(bytes: number) {
    this.values[TRANSFERRED] = bytes;
  }

  /** Engine time when progress was last observed (drives stall and decay in the engine's clock). */
  get lastProgressAt(): number {
    return this.values[LAST_PROGRESS_AT] ?? 0;
  }

  set lastProgressAt(at: number) {
    this.values[LAST_PROGRESS_AT] = at;
  }

  /** Last offset containerd reported (may drop when an ingest restarts). */
  get lastOffset(): number {
    return this.values[LAST_OFFSET] ?? 0;
  }

  set lastOffset(offset: number) {
    this.values[LAST_OFFSET] = offset;
  }

  /** Rate memo for one engine time (node totals, pull status and layer views all ask for it). */
  get rateAt(): number {
    return this.values[RATE_AT] ?? 0;
  }

  set rateAt(at: number) {
    this.values[RATE_AT] = at;
  }

  get rateValue(): number {
    return this.values[RATE_VALUE] ?? 0;
  }

  set rateValue(rate: number) {
    this.values[RATE_VALUE] = rate;
  }
}

/** Records of ingests that ended, for the next ingests to start (bounded). Thousands of ingests start
 * and end every second on a large cluster; each record lives for the seconds its layer downloads,
 * long enough to be promoted to V8's old generation, where every one dropped would be garbage
 * until the next full GC. Reused records are reset entirely, so nothing carries over. */
const spare: RateSamples[] = [];
const SPARE_MAX = 1024;

export function newSamples(at: number, nodeTime: number, offset: number, windowMs: number): RateSamples {
  const reused = spare.pop();
  const samples = reused ?? new RateSamples(windowMs);
  samples.head = 0;
  samples.count = 0;
  samples.windowMs = windowMs;
  samples.transferred = 0;
  samples.lastProgressAt = at;
  samples.lastOffset = offset;
  samples.rateAt = -1;
  samples.rateValue = 0;
  push(samples, nodeTime, 0);
  return samples;
}

/** Hands the record of an ingest that ended back for reuse; the caller drops every reference to it. */
export function releaseSamples(samples: RateSamples): void {
  if (spare.length < SPARE_MAX) spare.push(samples);
}

function oldestSlot(samples: RateSamples): number {
  return (samples.head - samples.count + 1 + CAPACITY) % CAPACITY;
}

function push(samples: RateSamples, time: number, transferred: number): void {
  samples.head = samples.head + 1 === CAPACITY ? 0 : samples.head + 1;
  samples.values[2 * samples.head] = time;
  samples.values[2 * samples.head + 1] = transferred;
  if (samples.count < CAPACITY) samples.count++;
  // Drop samples that left the window, keeping the newest two whatever their age.
  while (samples.count > 2 && time - timeAt(samples, (oldestSlot(samples) + 1) % CAPACITY) >= samples.windowMs) {
    samples.count--;
  }
}

function timeAt(samples: RateSamples, slot: number): number {
  return samples.values[2 * slot] ?? 0;
}

function bytesAt(samples: RateSamples, slot: number): number {
  return samples.values[2 * slot + 1] ?? 0;
}

export function newestTime(samples: RateSamples): number {
  return timeAt(samples, samples.head);
}

/** Records that `delta` more bytes arrived, written by containerd at node time `nodeTime` and
 * observed at engine time `at`. When the node clock did not advance (a repeated or bogus
 * updated_at), the engine's elapsed time stands in so the span stays positive. */
export function recordProgress(samples: RateSamples, delta: number, nodeTime: number, at: number): void {
  const last = newestTime(samples);
  const time = nodeTime > last ? nodeTime : last + Math.max(1, at - samples.lastProgressAt);
  samples.transferred += delta;
  samples.lastProgressAt = at;
  push(samples, time, samples.transferred);
}

/** Bytes per second at engine time `now`. */
export function rateAt(samples: RateSamples, now: number, stallAfterMs: number): number {
  const sinceProgress = now - samples.lastProgressAt;
  if (samples.count < 2 || sinceProgress >= stallAfterMs) return 0;
  const oldest = oldestSlot(samples);
  const span = timeAt(samples, samples.head) - timeAt(samples, oldest);
  const moved = bytesAt(samples, samples.head) - bytesAt(samples, oldest);
  if (span <= 0 || moved <= 0) return 0;
  const usualStep = span / (samples.count - 1);
  const overdue = Math.max(0, sinceProgress - 2 * usualStep);
  return (moved * 1000) / (span + overdue);
}
