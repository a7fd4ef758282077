// The engine's shared state and the lifecycle operations every input handler uses: finding or
// creating nodes and pulls, finishing a pull exactly once, and retiring finished pulls from the
// live view (their layers with them).
import type { EngineConfig, FailureReason, FinishedPull } from './types.ts';
import { BoundedMap } from './bounded.ts';
import type { ImageName } from './image-name.ts';
import { forgetIngestOrder, isActive, isCached, newNode, NO_OWNERS, recountPull, releaseBlob, removeLiveBlob, setBlobCommitted, setBlobDone, setBlobLive, type Blob, type NodeState, type PodRecord, type Pull, type Terminal } from './model.ts';
import { releaseSamples } from './rate.ts';
import { finishedRecord } from './views.ts';

/** Distinct node+image keys whose attempt numbers are remembered (bounded; see docs/engine.md). */
const ATTEMPT_KEYS = 100_000;

/** How long the history record of a finished pull waits for the source that has not spoken yet:
 * kubelet's Pulled event after the agent's image record (it names the pod and kubelet's timings,
 * and follows by well under a second), or — on a node whose agent is connected — the agent's
 * manifest after kubelet's Pulled (a pull faster than the agent's poll: seen on the lab's kubelet,
 * the manifest came 0.2 s after Pulled). */
export const OTHER_SOURCE_GRACE_MS = 3_000;

export interface Context {
  config: EngineConfig;
  /** Engine time: the latest `at` seen (inputs older than this are clamped to it). */
  now: number;
  nodes: Map<string, NodeState>;
  /** Pulls an input changed: their views go out at the next drain. */
  dirty: Set<Pull>;
  /** Pulls whose bytes moved and nothing else: their views go out once per progress interval.
   * Membership is `Pull.progressPending`; the array may hold a pull twice or after it left (see
   * markProgressed). Not a Set: every downloading pull leaves and re-enters this set each second,
   * and a Set of ~10 k pulls under that churn rehashes into new tables of over 128 KB, which V8
   * allocates in the large-object space where only a full GC reclaims them (measured: ~45 MiB of
   * such garbage at the benchmark's peak). */
  progressed: Pull[];
  /** Pulls whose layers started or finished: sent at once if their state changed, else treated
   * like progress. */
  restate: Set<Pull>;
  finished: FinishedPull[];
  /** Finished pulls whose record waits for the other source (finish order; see OTHER_SOURCE_GRACE_MS). */
  awaitingOtherSource: Pull[];
  removals: string[];
  /** Finished pulls in finish order (engine time is monotonic, so also expiry order). */
  retiring: Pull[];
  retiringHead: number;
  attempts: BoundedMap<number>;
  /** Pods by uid, and per node the uids of pods with a container not started yet. */
  pods: Map<string, PodRecord>;
  /** Bumped whenever any pod attachment or status changes: pulls reuse their pod lists until then. */
  podsVersion: number;
  waitingPods: Map<string, Set<string>>;
  warnings: Map<string, number>;
  warn: (kind: string) => void;
}

export function newContext(config: EngineConfig): Context {
  const warnings = new Map<string, number>();
  return {
    config,
    now: 0,
    nodes: new Map(),
    dirty: new Set(),
    progressed: [],
    restate: new Set(),
    finished: [],
    awaitingOtherSource: [],
    removals: [],
    retiring: [],
    retiringHead: 0,
    attempts: new BoundedMap(ATTEMPT_KEYS),
    pods: new Map(),
    podsVersion: 0,
    waitingPods: new Map(),
    warnings,
    warn: (kind) => warnings.set(kind, (warnings.get(kind) ?? 0) + 1),
  };
}

export function nodeFor(ctx: Context, name: string): NodeState {
  let node = ctx.nodes.get(name);
  if (node === undefined) {
    node = newNode(name);
    ctx.nodes.set(name, node);
  }
  node.removed = false;
  return node;
}

export function touch(ctx: Context, pull: Pull): void {
  pull.updatedAt = ctx.now;
  ctx.dirty.add(pull);
}

export function touchState(ctx: Context, pull: Pull): void {
  pull.updatedAt = ctx.now;
  ctx.restate.add(pull);
}

export function touchProgress(ctx: Context, pull: Pull): void {
  pull.updatedAt = ctx.now;
  markProgressed(ctx, pull);
}

/** Adds a pull to the progressed set (a no-op when it is in it). */
export function markProgressed(ctx: Context, pull: Pull): void {
  if (pull.progressPending) return;
  pull.progressPending = true;
  ctx.progressed.push(pull);
}

/** Takes the pulls in the progressed set that `due` accepts, out of it; keeps the others, each once. */
export function takeProgressed(ctx: Context, due: (pull: Pull) => boolean): Pull[] {
  const list = ctx.progressed;
  const taken: Pull[] = [];
  let kept = 0;
  for (let i = 0; i < list.length; i++) {
    const pull = list[i] as Pull;
    // Cleared: left the set (or a later duplicate of an entry handled in this pass).
    if (!pull.progressPending) continue;
    pull.progressPending = false;
    if (pull.removed) continue;
    if (due(pull)) taken.push(pull);
    else list[kept++] = pull;
  }
  list.length = kept;
  for (let i = 0; i < kept; i++) (list[i] as Pull).progressPending = true;
  return taken;
}

export function createPull(ctx: Context, node: NodeState, image: string, name: ImageName, provisional: boolean): Pull {
  const key = `${node.name}/${name.canonical}`;
  const attempt = (ctx.attempts.get(key) ?? 0) + 1;
  ctx.attempts.set(key, attempt);
  const pull: Pull = {
    id: `${node.name}/${image}#${attempt}`,
    node,
    image,
    name,
    provisional,
    digest: undefined,
    manifestDigest: undefined,
    childManifests: undefined,
    terminal: undefined,
    error: undefined,
    kubelet: undefined,
    blobs: [],
    cached: null,
    liveBlobs: [],
    progressAt: 0,
    pendingBlobs: 0,
    bytesDone: 0,
    bytesTotal: 0,
    bytesCached: 0,
    alone: NO_OWNERS,
    phasesView: null,
    podsView: null,
    phases: { queuedAt: undefined, resolvingAt: undefined, downloadingAt: undefined, unpackingAt: undefined, finishedAt: undefined },
    fromAgent: false,
    fromEvents: false,
    eventPods: new Map(),
    peakRate: 0,
    updatedAt: ctx.now,
    emitted: { state: '', waitingOn: '', rate: 0, done: 0, total: 0, at: -Infinity },
    progressPending: false,
    removed: false,
  };
  pull.alone = [pull];
  node.pulls.push(pull);
  node.activePulls++;
  ctx.dirty.add(pull);
  return pull;
}

/** The newest pull in the live view for this image on this node (active or recently finished). */
export function latestPull(node: NodeState, canonical: string): Pull | undefined {
  for (let i = node.pulls.length - 1; i >= 0; i--) {
    const pull = node.pulls[i];
    if (pull !== undefined && pull.name.canonical === canonical) return pull;
  }
  return undefined;
}

export function activePull(node: NodeState, canonical: string): Pull | undefined {
  const pull = latestPull(node, canonical);
  return pull !== undefined && isActive(pull) ? pull : undefined;
}

/** A pull reaches a terminal state once; its FinishedPull record is emitted here and only here. */
export function finishPull(
  ctx: Context,
  pull: Pull,
  terminal: Terminal,
  error?: { reason: FailureReason; message: string },
): void {
  if (!isActive(pull)) return;
  pull.terminal = terminal;
  pull.node.activePulls--;
  pull.error = error;
  pull.phases.finishedAt = ctx.now;
  // The image record exists: every blob of the pull is in the content store, including the
  // final partial MiB that containerd never shows before a commit.
  if (terminal === 'done') creditFetchedBlobs(pull, ctx.now);
  settleFetchedElsewhere(pull);
  touch(ctx, pull);
  const waits = terminal === 'done' && (pull.kubelet === undefined || (!pull.fromAgent && pull.node.agent === 'connected'));
  if (waits) ctx.awaitingOtherSource.push(pull);
  else ctx.finished.push(finishedRecord(ctx, pull));
  ctx.retiring.push(pull);
}

/** Emits the record of a pull that waited for the other source: it came, or the grace ran out
 * (no event watch, the event was lost, or the agent never saw the pull). */
export function releaseFinished(ctx: Context, pull: Pull): void {
  const index = ctx.awaitingOtherSource.indexOf(pull);
  if (index < 0) return;
  ctx.awaitingOtherSource.splice(index, 1);
  ctx.finished.push(finishedRecord(ctx, pull));
}

export function releaseExpiredFinished(ctx: Context): void {
  const horizon = ctx.now - OTHER_SOURCE_GRACE_MS;
  let released = 0;
  for (const pull of ctx.awaitingOtherSource) {
    if ((pull.phases.finishedAt ?? 0) > horizon) break;
    ctx.finished.push(finishedRecord(ctx, pull));
    released++;
  }
  if (released > 0) ctx.awaitingOtherSource.splice(0, released);
}

/** A shared blob another pull fetched into the store was, for this pull, already there when it got
 * to it (containerd lets one pull write a blob; CRI blocks the others until it is in). Its manifest
 * then said `present` — or, read a moment earlier, did not. That race must not decide what the
 * pull's record and finished row say it downloaded: the blob becomes cached for it, as if the
 * manifest had been read after the commit. While the pulls run, the blob shows under both. A
 * fetcher that failed did not fetch it (whoever resumed did), so it stays this pull's. */
function settleFetchedElsewhere(pull: Pull): void {
  let settled = false;
  for (const blob of pull.blobs) {
    const fetcher = blob.fetcher;
    if (!blob.committed || isCached(pull, blob) || fetcher === undefined || fetcher === pull) continue;
    if (fetcher.terminal === 'failed' || fetcher.terminal === 'abandoned') continue;
    (pull.cached ??= new Set()).add(blob);
    settled = true;
  }
  if (settled) recountPull(pull);
}

/** A pull is done: each blob it did not find cached is in the content store, at full size. */
export function creditFetchedBlobs(pull: Pull, at: number): void {
  for (const blob of pull.blobs) if (!isCached(pull, blob)) creditCommitted(pull.node, blob, at);
}

/** A blob is in the content store: count it at full size and stop tracking its ingest. */
export function creditCommitted(node: NodeState, blob: Blob, at: number): void {
  if (blob.live) endIngest(node, blob);
  setBlobDone(blob, blob.size);
  setBlobCommitted(blob);
  blob.finishedAt ??= at;
}

export function endIngest(node: NodeState, blob: Blob): void {
  if (!blob.live) return;
  setBlobLive(blob, false);
  node.rateAt = -1;
  if (blob.samples !== null) releaseSamples(blob.samples);
  blob.samples = null;
  removeLiveBlob(node, blob);
  if (blob.kind === 'manifest' || blob.kind === 'index') node.liveMetadata = Math.max(0, node.liveMetadata - 1);
}

/** Drops a blob nobody needs any more (no pull in the live view claims it, no live ingest). */
export function forgetBlobIfUnused(node: NodeState, blob: Blob): void {
  // Identity check: after a content deletion the map may hold a newer blob for the same digest.
  if (blob.owners.length === 0 && !blob.live && node.blobs.get(blob.digest) === blob) {
    node.blobs.delete(blob.digest);
    forgetIngestOrder(node, blob);
    releaseBlob(blob);
  }
}

/** Removes finished pulls older than retainFinishedMs from the live view, with their layers. */
export function retireExpired(ctx: Context): void {
  const horizon = ctx.now - ctx.config.retainFinishedMs;
  while (ctx.retiringHead < ctx.retiring.length) {
    const pull = ctx.retiring[ctx.retiringHead];
    if (pull === undefined || (pull.phases.finishedAt ?? 0) > horizon) break;
    ctx.retiringHead++;
    removePull(ctx, pull);
  }
  if (ctx.retiringHead > 1024 && ctx.retiringHead * 2 > ctx.retiring.length) {
    ctx.retiring = ctx.retiring.slice(ctx.retiringHead);
    ctx.retiringHead = 0;
  }
}

/** Takes a pull out of the view (retired, or found to be another row's pull). */
export function removePull(ctx: Context, pull: Pull): void {
  if (pull.removed) return;
  pull.removed = true;
  // Its history record is built from its blobs, which are about to be released (see below).
  releaseFinished(ctx, pull);
  const node = pull.node;
  const index = node.pulls.indexOf(pull);
  if (index >= 0) node.pulls.splice(index, 1);
  for (const blob of pull.blobs) {
    // Copy-on-write (see Blob.owners).
    if (blob.owners.includes(pull)) blob.owners = blob.owners.length === 1 ? NO_OWNERS : blob.owners.filter((owner) => owner !== pull);
    if (blob.fetcher === pull) blob.fetcher = undefined;
    forgetBlobIfUnused(node, blob);
  }
  // Blobs no pull in the view claims are reused (releaseBlob): a removed pull keeps none.
  pull.blobs = [];
  pull.liveBlobs = [];
  pull.cached = null;
  ctx.dirty.delete(pull);
  pull.progressPending = false;
  ctx.restate.delete(pull);
  ctx.removals.push(pull.id);
  if (node.removed && node.pulls.length === 0) ctx.nodes.delete(node.name);
}
