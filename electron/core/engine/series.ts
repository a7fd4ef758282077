// Throughput series: one point per bucket (default 1 s) for the cluster and each node, kept for the
// series window in fixed-size rings. A point is the windowed rate (see rate.ts) sampled at the
// bucket's end: averaging raw byte deltas per bucket would show containerd's 1 MiB steps as a
// saw-tooth of 0 and 2× readings at low rates.
//
// Memory: every ring is written at the same instants (one point per ring per bucket), so the times
// live once, in the cluster's ring, and a node keeps only its values, as 32-bit floats (a relative
// precision of 6e-8 is far below what a chart shows): 2.4 KB per node for a 10 min window instead
// of 9.6 KB with a time and a double per point.
import type { SeriesPoint } from './types.ts';

/** The bucket times, shared by all rings of one recorder, and the cluster's own values. */
export class SeriesClock {
  readonly capacity: number;
  readonly #times: Float64Array;
  readonly #values: Float64Array;
  /** Slot of the newest point; every ring writes its value for that instant there. */
  head = -1;
  #count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#times = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
  }

  /** Starts a new instant; rings then record their values for it with `NodeSeries.record`. */
  advance(at: number, clusterValue: number): void {
    this.head = (this.head + 1) % this.capacity;
    this.#times[this.head] = at;
    this.#values[this.head] = clusterValue;
    if (this.#count < this.capacity) this.#count++;
  }

  /** The cluster's points, oldest first. */
  points(): SeriesPoint[] {
    return this.slice(this.#count, this.#values);
  }

  /** The newest `count` points of a ring written in step with this clock. */
  slice(count: number, values: ArrayLike<number>): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    for (let back = count - 1; back >= 0; back--) {
      const index = (this.head - back + this.capacity) % this.capacity;
      out.push({ at: this.#times[index] ?? 0, bytesPerSecond: values[index] ?? 0 });
    }
    return out;
  }
}

/** One node's values, written at the clock's head for every instant since the ring was created. */
export class NodeSeries {
  readonly #clock: SeriesClock;
  readonly #values: Float32Array;
  #count = 0;
  /** Time of the last non-zero point: a node series with none in the window is dropped. */
  lastActiveAt = -Infinity;

  constructor(clock: SeriesClock) {
    this.#clock = clock;
    this.#values = new Float32Array(clock.capacity);
  }

  /** The value of the clock's newest instant (call once per instant, after `SeriesClock.advance`). */
  record(at: number, value: number): void {
    this.#values[this.#clock.head] = value;
    if (this.#count < this.#clock.capacity) this.#count++;
    if (value > 0) this.lastActiveAt = at;
  }

  points(): SeriesPoint[] {
    return this.#clock.slice(this.#count, this.#values);
  }
}
