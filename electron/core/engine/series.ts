// Throughput series: one point per bucket (default 1 s) for the cluster and each node, kept for the
// series window in fixed-size rings. A point is the windowed rate (see rate.ts) sampled at the
// bucket's end: averaging raw byte deltas per bucket would show containerd's 1 MiB steps as a
// saw-tooth of 0 and 2× readings at low rates.
import type { SeriesPoint } from './types.ts';

export class SeriesRing {
  readonly #times: Float64Array;
  readonly #values: Float64Array;
  #head = -1;
  #count = 0;
  /** Time of the last non-zero point: a node series with none in the window is dropped. */
  lastActiveAt = -Infinity;

  constructor(capacity: number) {
    this.#times = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
  }

  push(at: number, value: number): void {
    const capacity = this.#times.length;
    this.#head = (this.#head + 1) % capacity;
    this.#times[this.#head] = at;
    this.#values[this.#head] = value;
    if (this.#count < capacity) this.#count++;
    if (value > 0) this.lastActiveAt = at;
  }

  points(): SeriesPoint[] {
    const capacity = this.#times.length;
    const out: SeriesPoint[] = [];
    for (let back = this.#count - 1; back >= 0; back--) {
      const index = (this.#head - back + capacity) % capacity;
      out.push({ at: this.#times[index] ?? 0, bytesPerSecond: this.#values[index] ?? 0 });
    }
    return out;
  }
}
