// The engine's internal, mutable model. Nothing here leaves the engine: views.ts turns it into the
// plain-data outputs of types.ts.
//
// Identities: a Node owns Blobs keyed by digest (one containerd ingest per digest, whichever pull
// started it) and Pulls (one per node + image + attempt). A Blob lists the Pulls that claim it
// (via their manifests); its bytes are counted once per node however many pulls share it.
import type {
  ContainerStatusObserved,
  FailureReason,
  IngestKind,
  PodRef,
  PodWaiting,
  PullPhases,
  WorkloadRef,
} from './types.ts';
import type { ImageName } from './image-name.ts';
import { lastProgressAt, type RateSamples } from './rate.ts';

export type Terminal = 'done' | 'cached' | 'failed' | 'abandoned';

/** The owners of a blob no pull claims (shared, never mutated). */
export const NO_OWNERS: readonly Pull[] = Object.freeze([]);

/** IngestKind by code, for Blob's packed flags. */
const KINDS: readonly IngestKind[] = ['unknown', 'layer', 'config', 'manifest', 'index'];
const LIVE = 1;
const COMMITTED = 2;
const KIND_SHIFT = 2;
const KIND_MASK = 7 << KIND_SHIFT;
/** The start / finish time is stored as it came, not relative to TIME_BASE (see storeTime). */
const STARTED_RAW = 1 << 5;
const FINISHED_RAW = 1 << 6;
const SLOT_SHIFT = 7;

/** Blob times are stored relative to this: an encoding offset, fixed by the first time stored (any
 * engine's). A time within ±24.8 days of it becomes a small integer, which V8 keeps in the field
 * itself; an absolute epoch time does not fit one and would be a separate 16-byte heap number per
 * field (measured: 7.6 MiB of heap numbers at 227 k blobs). */
let TIME_BASE = Number.NaN;

/** `at - TIME_BASE` when that converts back exactly (always for whole milliseconds), else null:
 * the time is then stored as it came, with its RAW flag. */
function relativeTime(at: number): number | null {
  if (Number.isNaN(TIME_BASE)) TIME_BASE = at;
  const relative = at - TIME_BASE;
  return relative + TIME_BASE === at ? relative : null;
}

/** A class, not a plain record, so that `kind`, `live`, `committed` and the blob's slot in its
 * node's live list share one small-integer field behind accessors: one field instead of four on
 * each of the ~200 k blobs of a large window (8 bytes each, measured −3 MiB retained at 200 k
 * blobs). */
export class Blob {
  digest!: string;
  mediaType!: string;
  /** Descriptor size (from the manifest, or the ingest's total before that). */
  size!: number;
  /** High-water mark of bytes fetched: what progress shows; never decreases. */
  done!: number;
  /** Rate samples, last offset and rate memo; allocated only while the ingest is live (memory:
   * most blobs are finished). */
  samples!: RateSamples | null;
  /** Times as stored (see relativeTime); read and set them through startedAt / finishedAt. */
  #started!: number | undefined;
  #finished!: number | undefined;
  /** Pulls whose manifest lists this blob. Copy-on-write (never mutated in place): most blobs have
   * one owner, and they all share that pull's `alone` list instead of an array each. */
  owners!: readonly Pull[];
  /** The pull that fetches it (containerd lets one pull write a blob; the others wait on its ref
   * lock): the first claimant, or a claimant with live ingests of its own when the presumed one
   * has none (see claimSharedFetches in agent-inputs.ts). */
  fetcher!: Pull | undefined;
  /** LIVE | COMMITTED | kind code << KIND_SHIFT | STARTED_RAW | FINISHED_RAW | live slot << SLOT_SHIFT. */
  #flags!: number;

  constructor(digest: string, kind: IngestKind, size: number, mediaType: string) {
    this.reset(digest, kind, size, mediaType);
  }

  /** Sets every field (the `!` above: TypeScript does not follow the constructor into here), so a
   * released blob reused by newBlob reads exactly like a new one. */
  reset(digest: string, kind: IngestKind, size: number, mediaType: string): void {
    this.digest = digest;
    this.mediaType = mediaType;
    this.size = size;
    this.done = 0;
    this.samples = null;
    this.#started = undefined;
    this.#finished = undefined;
    this.owners = NO_OWNERS;
    this.fetcher = undefined;
    this.#flags = KINDS.indexOf(kind) << KIND_SHIFT;
  }

  /** Node-clock time the ingest started (containerd's started_at). */
  get startedAt(): number | undefined {
    const stored = this.#started;
    return stored === undefined || (this.#flags & STARTED_RAW) !== 0 ? stored : stored + TIME_BASE;
  }

  set startedAt(at: number | undefined) {
    const relative = at === undefined ? undefined : relativeTime(at);
    this.#started = relative ?? at;
    this.#flags = relative === null ? this.#flags | STARTED_RAW : this.#flags & ~STARTED_RAW;
  }

  /** Engine time the blob was seen committed. */
  get finishedAt(): number | undefined {
    const stored = this.#finished;
    return stored === undefined || (this.#flags & FINISHED_RAW) !== 0 ? stored : stored + TIME_BASE;
  }

  set finishedAt(at: number | undefined) {
    const relative = at === undefined ? undefined : relativeTime(at);
    this.#finished = relative ?? at;
    this.#flags = relative === null ? this.#flags | FINISHED_RAW : this.#flags & ~FINISHED_RAW;
  }

  get kind(): IngestKind {
    return KINDS[(this.#flags & KIND_MASK) >> KIND_SHIFT] ?? 'unknown';
  }

  set kind(kind: IngestKind) {
    this.#flags = (this.#flags & ~KIND_MASK) | (KINDS.indexOf(kind) << KIND_SHIFT);
  }

  /** An ingest for this digest is currently listed by containerd. */
  get live(): boolean {
    return (this.#flags & LIVE) !== 0;
  }

  set live(live: boolean) {
    this.#flags = live ? this.#flags | LIVE : this.#flags & ~LIVE;
  }

  /** Index in NodeState.liveBlobs while live (see addLiveBlob). */
  get liveSlot(): number {
    return this.#flags >>> SLOT_SHIFT;
  }

  set liveSlot(slot: number) {
    this.#flags = (this.#flags & ((1 << SLOT_SHIFT) - 1)) | (slot << SLOT_SHIFT);
  }

  get committed(): boolean {
    return (this.#flags & COMMITTED) !== 0;
  }

  set committed(committed: boolean) {
    this.#flags = committed ? this.#flags | COMMITTED : this.#flags & ~COMMITTED;
  }
}

/** Blobs nobody refers to any more (see releaseBlob), for new blobs to reuse; bounded. Pull churn
 * retires thousands of blobs a second on a large cluster (the benchmark: ~3.9 k/s, 104 bytes each,
 * against ~1.4 MB/s of old-generation growth between full GCs); each lived for the minutes its
 * pull was in the view, in V8's old generation, where every one dropped was garbage until the next
 * full GC. */
const spareBlobs: Blob[] = [];
const SPARE_BLOBS_MAX = 4096;

export function newBlob(digest: string, kind: IngestKind, size: number, mediaType: string): Blob {
  const blob = spareBlobs.pop();
  if (blob === undefined) return new Blob(digest, kind, size, mediaType);
  blob.reset(digest, kind, size, mediaType);
  return blob;
}

/** Hands back a blob that nothing refers to any more: gone from its node's map and live list, no
 * owner, and no pull in the view lists it (a removed pull drops its lists, see removePull). */
export function releaseBlob(blob: Blob): void {
  if (spareBlobs.length < SPARE_BLOBS_MAX) spareBlobs.push(blob);
}

export interface Pull {
  id: string;
  node: NodeState;
  /** As requested (kubelet's text) or provisional `host/repo@digest`. */
  image: string;
  name: ImageName;
  provisional: boolean;
  /** Resolved digest: the index when the image is multi-platform, else the manifest. */
  digest?: string;
  manifestDigest?: string;
  /** Manifests an index offers: a later manifest.seen for one of them belongs to this pull. */
  childManifests?: Set<string>;
  /** Config first, then layers, in manifest order. */
  blobs: Blob[];
  /** Blobs already in the content store when this pull's manifest was read (cached for this pull
   * only: the same blob may have been downloaded by another pull). Null when none. */
  cached: Set<Blob> | null;
  /** Aggregates kept in step with the blobs (see setBlobDone & co. below) so that views and
   * state need not walk every layer: live non-cached blobs, non-cached blobs not committed, and
   * the byte totals of PullView.bytes. */
  liveBlobs: Blob[];
  /** The latest progress (engine time, rate.ts `lastProgressAt`) of those live blobs: a pull
   * none of whose live layers moved for the stall threshold may have stalled, which a drain then
   * looks at (engine.ts, mayHaveStalled) with one read instead of one per live layer. */
  progressAt: number;
  pendingBlobs: number;
  bytesDone: number;
  bytesTotal: number;
  bytesCached: number;
  terminal?: Terminal;
  error?: { reason: FailureReason; message: string };
  phases: PullPhases;
  fromAgent: boolean;
  fromEvents: boolean;
  /** Pods attached by kubelet events: uid → container. Pods matched by status are added at view time. */
  eventPods: Map<string, PodWaiting>;
  /** Figures from a kubelet `Pulled` message (events-only mode has nothing better). */
  kubelet?: { pullMs?: number; totalMs?: number; sizeBytes?: number };
  peakRate: number;
  updatedAt: number;
  /** `[this]`: the owners list of every blob only this pull claims (see Blob.owners). */
  alone: readonly Pull[];
  /** The phases last handed out in a view, reused while equal to `phases` (views are immutable). */
  phasesView: PullPhases | null;
  /** The pods list last built for a view, valid while the context's podsVersion is `version`. */
  podsView: { pods: PodWaiting[]; version: number; image: string } | null;
  /** Change detection for drain(): what was last emitted (see engine.ts). */
  emitted: { state: string; waitingOn: string; rate: number; done: number; total: number; at: number };
  /** In the context's progressed set (see Context.progressed). */
  progressPending: boolean;
  /** Removed from the live view (still referenced only by whoever holds it). */
  removed: boolean;
}

export interface NodeState {
  name: string;
  agent: 'connected' | 'disconnected' | 'none';
  agentVersion?: string;
  containerdVersion?: string;
  blobs: Map<string, Blob>;
  /** Blobs with a live ingest: the only ones that can carry a rate (iterated for throughput). An
   * array with each blob's slot on the blob, not a Set: ingests start and end all the time, and a
   * long-lived Set under that churn rehashes into new tables that V8 allocates in the old
   * generation (measured: ~1 MB/s of garbage for 2,000 nodes at the benchmark's load). */
  liveBlobs: Blob[];
  /** The blobs of the agent's last ingest listing, in its order (see applyIngests). Every blob in
   * it is in `blobs`: one that leaves the map clears it (forgetIngestOrder). */
  ingestOrder: Blob[];
  /** The array the next listing is written into, then swapped with ingestOrder: a new array per
   * listing (two a second per node) lived long enough to be promoted to V8's old generation,
   * where each was garbage until the next full GC. */
  ingestNext: Blob[];
  /** Live manifest/index ingests: a pull without a manifest on this node is resolving. */
  liveMetadata: number;
  /** Pulls in the live view (active and recently finished), oldest first. */
  pulls: Pull[];
  removed: boolean;
  /** What the node's view showed when last sent by drain(). */
  emitted: { agent: string; agentVersion?: string; containerdVersion?: string; activePulls: number; rate: number };
  /** Pulls of this node not in a terminal state (kept by createPull/finishPull). */
  activePulls: number;
  /** Rate memo for one engine time (series sampling and node views both need it). */
  rateAt: number;
  rateValue: number;
}

/** A pod as last seen, for matching its waiting containers to pulls by node and image. */
export interface PodRecord {
  pod: PodRef;
  node?: string;
  workload?: WorkloadRef;
  containers: ContainerStatusObserved[];
}


export function isCached(pull: Pull, blob: Blob): boolean {
  return pull.cached !== null && pull.cached.has(blob);
}

export function isActive(pull: Pull): boolean {
  return pull.terminal === undefined;
}

// Constructors initialise every optional field: objects of one kind then share one hidden class,
// which keeps the engine's hot paths monomorphic (measured: a large share of apply() time).
export function newNode(name: string): NodeState {
  return {
    name,
    agent: 'none',
    agentVersion: undefined,
    containerdVersion: undefined,
    blobs: new Map(),
    liveBlobs: [],
    ingestOrder: [],
    ingestNext: [],
    liveMetadata: 0,
    pulls: [],
    removed: false,
    emitted: { agent: '', agentVersion: undefined, containerdVersion: undefined, activePulls: -1, rate: 0 },
    activePulls: 0,
    rateAt: -1,
    rateValue: 0,
  };
}


/** A blob leaves its node's map (or is replaced in it): the listing order may not guess it any more. */
export function forgetIngestOrder(node: NodeState, blob: Blob): void {
  if (node.ingestOrder.includes(blob)) node.ingestOrder.length = 0;
}

export function addLiveBlob(node: NodeState, blob: Blob): void {
  blob.liveSlot = node.liveBlobs.length;
  node.liveBlobs.push(blob);
}

/** Removes a blob from its node's live list: the last one takes its slot. */
export function removeLiveBlob(node: NodeState, blob: Blob): void {
  const list = node.liveBlobs;
  const slot = blob.liveSlot;
  if (list[slot] !== blob) return;
  const last = list.pop() as Blob;
  if (last === blob) return;
  list[slot] = last;
  last.liveSlot = slot;
}

// Blob changes that pulls aggregate. Every change of a blob's bytes, liveness or commit goes
// through these, so each owner's totals stay equal to the sums over its layers (a property test
// checks it).

function forOwners(blob: Blob, change: (owner: Pull) => void): void {
  for (const owner of blob.owners) if (!isCached(owner, blob)) change(owner);
}

/** Sets a blob's high-water mark (never lower). */
export function setBlobDone(blob: Blob, done: number): void {
  if (done <= blob.done) return;
  const delta = Math.min(done, blob.size) - Math.min(blob.done, blob.size);
  blob.done = done;
  if (delta === 0) return;
  // Hot path (every ingest update): a plain loop, no closure allocated per call.
  for (const owner of blob.owners) if (!isCached(owner, blob)) owner.bytesDone += delta;
}

export function setBlobLive(blob: Blob, live: boolean): void {
  if (blob.live === live) return;
  blob.live = live;
  forOwners(blob, (owner) => {
    if (live) {
      owner.liveBlobs.push(blob);
      noteProgress(owner, blob);
    } else {
      const index = owner.liveBlobs.indexOf(blob);
      if (index >= 0) owner.liveBlobs.splice(index, 1);
      // The latest progress may have been this blob's.
      owner.progressAt = 0;
      for (const other of owner.liveBlobs) noteProgress(owner, other);
    }
  });
}

/** Keeps Pull.progressAt in step when a live blob of the pull moves (or becomes live). */
export function noteProgress(pull: Pull, blob: Blob): void {
  if (blob.samples === null) return;
  const at = lastProgressAt(blob.samples);
  if (at > pull.progressAt) pull.progressAt = at;
}

export function setBlobCommitted(blob: Blob): void {
  if (blob.committed) return;
  blob.committed = true;
  forOwners(blob, (owner) => owner.pendingBlobs--);
}

/** Adds a blob to a pull (from its manifest), cached for this pull or to be downloaded. */
export function addBlobToPull(pull: Pull, blob: Blob, cached: boolean): void {
  pull.blobs.push(blob);
  if (cached) {
    pull.cached ??= new Set();
    pull.cached.add(blob);
    pull.bytesCached += blob.size;
    return;
  }
  pull.bytesTotal += blob.size;
  pull.bytesDone += Math.min(blob.done, blob.size);
  if (!blob.committed) pull.pendingBlobs++;
  if (blob.live) {
    pull.liveBlobs.push(blob);
    noteProgress(pull, blob);
  }
}

/** Recomputes a pull's aggregates from its blobs (after a blob's size changed, which is rare). */
export function recountPull(pull: Pull): void {
  const blobs = pull.blobs;
  pull.blobs = [];
  pull.liveBlobs = [];
  pull.progressAt = 0;
  pull.pendingBlobs = 0;
  pull.bytesDone = 0;
  pull.bytesTotal = 0;
  pull.bytesCached = 0;
  const cached = pull.cached;
  pull.cached = null;
  for (const blob of blobs) addBlobToPull(pull, blob, cached !== null && cached.has(blob));
}
