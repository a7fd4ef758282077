// Constructors for the plain-data records drain() hands out at high rate (pull and layer views,
// their phases and bytes; the pull view's own constructor is in views.ts). They are built with `new`, not with object literals, for memory:
//
// V8 pretenures an object literal's allocation site once most objects from it survived a
// young-generation GC — which they do whenever many views are built at once and kept in the delta
// (the first drain after a burst of pulls, or pulls() for a new client). From then on every view
// from that literal, however short-lived, is allocated in the old generation, which only a full GC
// reclaims. Objects made by a constructor carry no allocation site and are never pretenured.
// Measured in bench/engine.bench.ts: ~100 MiB less peak heap (docs/engine.md, "Memory").
//
// The constructors' prototype is Object.prototype, so the records are indistinguishable from
// literals for every consumer (JSON, structured clone over IPC, deep equality in tests).
import type { LayerState, LayerView, PullPhases, PullView } from './types.ts';

type Constructor<T, A extends unknown[]> = new (...args: A) => T;

/** Turns an initialiser of `this` into a constructor of plain objects. */
export function plainRecord<T, A extends unknown[]>(init: (this: T, ...args: A) => void): Constructor<T, A> {
  init.prototype = Object.prototype;
  return init as unknown as Constructor<T, A>;
}

export const LayerViewRecord = plainRecord(function (
  this: LayerView,
  digest: string,
  mediaType: string,
  size: number,
  done: number,
  state: LayerState,
  rate: number,
  startedAt: number | undefined,
  finishedAt: number | undefined,
  sharedWith: string[],
) {
  this.digest = digest;
  this.mediaType = mediaType;
  this.size = size;
  this.done = done;
  this.state = state;
  this.rate = rate;
  this.startedAt = startedAt;
  this.finishedAt = finishedAt;
  this.sharedWith = sharedWith;
});

export const PhasesRecord = plainRecord(function (this: PullPhases, from: PullPhases) {
  this.queuedAt = from.queuedAt;
  this.resolvingAt = from.resolvingAt;
  this.downloadingAt = from.downloadingAt;
  this.unpackingAt = from.unpackingAt;
  this.finishedAt = from.finishedAt;
});

export const BytesRecord = plainRecord(function (this: PullView['bytes'], done: number, total: number, cached: number, totalKnown: boolean) {
  this.done = done;
  this.total = total;
  this.cached = cached;
  this.totalKnown = totalKnown;
});
