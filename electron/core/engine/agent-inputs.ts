// Inputs from a node's agent: ingests (bytes), manifests and indexes (attribution), image records
// (the end of a pull), connection state.
//
// Attribution: an ingest carries only a digest. It becomes part of a pull when a committed manifest
// lists that digest and the manifest is matched to a pull — by the index it belongs to, by the
// digest the pull asked for, or by its distribution.source (host without port + repository). An
// ingest no manifest claims yet is tracked on its node (its bytes count in node throughput) and is
// attributed the moment a manifest claims it; it is never folded into some other pull's row.
import type {
  AgentSnapshot,
  BlobDescriptor,
  ImageUpserted,
  IndexSeen,
  IngestGone,
  IngestStatus,
  ManifestSeen,
} from './types.ts';
import {
  activePull,
  createPull,
  creditCommitted,
  creditFetchedBlobs,
  endIngest,
  finishPull,
  forgetBlobIfUnused,
  removePull,
  touch,
  touchProgress,
  touchState,
  type Context,
} from './context.ts';
import { parseImageName, provisionalName } from './image-name.ts';
import { addBlobToPull, addLiveBlob, forgetIngestOrder, isActive, isCached, newBlob, noteProgress, recountPull, setBlobDone, setBlobLive, type Blob, type NodeState, type Pull } from './model.ts';
import { forgetRate, lastOffset, lastProgressAt, newSamples, newestTime, noteAlive, recordProgress, setLastOffset } from './rate.ts';
import { cleanIngest, isTime, type CleanIngest } from './validate.ts';

/** Per node cap on tracked blobs: a runaway or hostile agent cannot exhaust memory. */
const MAX_BLOBS_PER_NODE = 20_000;

const scratch: CleanIngest = { ok: false, kind: 'unknown', offset: 0, total: 0, startedAt: 0, updatedAt: 0 };

/** The pull has a live ingest that no other pull claims. */
function hasOwnLiveIngest(pull: Pull): boolean {
  for (const blob of pull.liveBlobs) if (blob.owners.length === 1) return true;
  return false;
}

/** Which pull fetches a shared blob is a guess (an ingest names no pull); the first claimant is the
 * default. containerd's CRI blocks a pull entirely while another fetches a layer they share, so
 * when this pull has live ingests of its own and the presumed fetcher has none, this pull is the
 * one fetching. Seen in fixtures/recordings/cri-alpha-beta-2mbps: alpha's manifest came first, but
 * beta fetched the shared base layer (with its own layer) while alpha started nothing until the
 * base was in the store. */
function claimSharedFetches(ctx: Context, pull: Pull): void {
  if (!isActive(pull) || !hasOwnLiveIngest(pull)) return;
  for (const blob of pull.liveBlobs) {
    const presumed = blob.fetcher;
    if (presumed === undefined || presumed === pull || !isActive(presumed) || hasOwnLiveIngest(presumed)) continue;
    blob.fetcher = pull;
    touch(ctx, presumed);
    touch(ctx, pull);
  }
}

function startIngest(ctx: Context, node: NodeState, blob: Blob, clean: CleanIngest): void {
  setBlobLive(blob, true);
  addLiveBlob(node, blob);
  if (blob.kind === 'unknown') blob.kind = clean.kind;
  if (blob.kind === 'manifest' || blob.kind === 'index') node.liveMetadata++;
  blob.startedAt ??= clean.startedAt;
  blob.samples = newSamples(ctx.now, clean.startedAt, clean.offset, ctx.config.rateWindowMs);
  if (clean.offset > 0) recordProgress(blob.samples, clean.offset, clean.updatedAt, ctx.now);
  setBlobDone(blob, clean.offset);
  for (const owner of blob.owners) claimSharedFetches(ctx, owner);
}

/** Applies one listed ingest; returns its blob (undefined when the ingest was dropped). `guess`: the
 * blob the node's previous listing had at the same position (see applyIngests). */
function observeIngest(ctx: Context, node: NodeState, raw: IngestStatus, guess: Blob | undefined): Blob | undefined {
  const clean = cleanIngest(raw, ctx.now, scratch, ctx.warn);
  if (!clean.ok) return undefined;
  let blob = guess !== undefined && guess.digest === raw.digest ? guess : node.blobs.get(raw.digest);
  if (blob === undefined) {
    if (node.blobs.size >= MAX_BLOBS_PER_NODE) {
      ctx.warn('too-many-blobs');
      return undefined;
    }
    blob = newBlob(raw.digest, clean.kind, clean.total, '');
    node.blobs.set(raw.digest, blob);
  }
  if (blob.committed) {
    // A frame older than the commit, or a blob garbage-collected since (GC publishes no event: a
    // later manifest claiming it as missing starts a fresh blob, see claimBlob).
    ctx.warn('ingest-after-commit');
    return undefined;
  }
  // Rate memos (state.ts) hold for one engine time only while nothing changes.
  if (blob.samples !== null) forgetRate(blob.samples);
  node.rateAt = -1;
  let progressed = false;
  // Progress of an ingest that was already moving changes only numbers (sent at the progress
  // interval); a start or a resume after a stall can change a pull's state (sent at once).
  let stateMayChange = true;
  if (!blob.live) {
    startIngest(ctx, node, blob, clean);
    progressed = true;
  } else if (blob.samples !== null) {
    const samples = blob.samples;
    stateMayChange = ctx.now - lastProgressAt(samples) >= ctx.config.stallAfterMs;
    const last = lastOffset(samples);
    if (clean.offset > last) {
      recordProgress(samples, clean.offset - last, clean.updatedAt, ctx.now);
      setLastOffset(samples, clean.offset);
      setBlobDone(blob, clean.offset);
      progressed = true;
    } else if (clean.offset < last) {
      // Restarted lower (a retry): nothing is subtracted; bytes count again as it climbs.
      setLastOffset(samples, clean.offset);
    } else if (clean.updatedAt > newestTime(samples)) {
      // updated_at moved without a new 1 MiB step showing: the ingest is alive, not stalled.
      noteAlive(samples, ctx.now);
    }
  }
  for (const owner of blob.owners) {
    if (!isCached(owner, blob)) noteProgress(owner, blob);
    if (progressed && clean.offset > 0 && owner.phases.downloadingAt === undefined) {
      owner.phases.downloadingAt = ctx.now;
      stateMayChange = true;
    }
    if (stateMayChange) touchState(ctx, owner);
    else touchProgress(ctx, owner);
  }
  return blob;
}

/** The agent lists a node's ingests in a stable order (containerd's), so each one is first guessed
 * to be the blob that came next in the previous listing: comparing two digests is cheaper than
 * hashing the decoder's fresh 71-character string for the node's map (measured: apply CPU −10 % on
 * the benchmark). A guess that misses falls back to the map. "Next" follows the listing, not the
 * position: an ingest that started or ended between two listings shifts every later one, and
 * guessing by position missed each of those (38 % of guesses on the benchmark, against 5 %). */
export function applyIngests(ctx: Context, node: NodeState, ingests: readonly IngestStatus[]): void {
  const previous = node.ingestOrder;
  const order = node.ingestNext;
  let listed = 0;
  let next = 0;
  for (let i = 0; i < ingests.length; i++) {
    const guess = previous[next];
    const blob = observeIngest(ctx, node, ingests[i] as IngestStatus, guess);
    if (blob === undefined) continue;
    order[listed++] = blob;
    if (blob === guess) {
      next++;
    } else {
      // Listed before: the one after it comes next. New: the guess still stands.
      const at = previous.indexOf(blob);
      if (at >= 0) next = at + 1;
    }
  }
  order.length = listed;
  node.ingestOrder = order;
  node.ingestNext = previous;
}

function allFetched(pull: Pull): boolean {
  return pull.pendingBlobs === 0 && pull.manifestDigest !== undefined;
}

export function applyGone(ctx: Context, node: NodeState, input: IngestGone): void {
  const blob = node.blobs.get(input.digest);
  if (blob === undefined) return;
  // A blob fetched between two agent polls was never live: its commit still counts.
  if (!blob.live && (input.outcome !== 'committed' || blob.committed)) return;
  if (input.outcome === 'committed') {
    creditCommitted(node, blob, ctx.now);
    for (const owner of blob.owners) if (allFetched(owner)) owner.phases.unpackingAt ??= ctx.now;
  } else {
    endIngest(node, blob);
  }
  for (const owner of blob.owners) {
    touchState(ctx, owner);
    // Without kubelet there is nobody else to report an agent-only (e.g. ctr) pull's failure.
    if (input.outcome === 'aborted' && isActive(owner) && !owner.fromEvents) {
      finishPull(ctx, owner, 'failed', { reason: 'aborted', message: `ingest ${input.ref} aborted` });
    }
  }
  forgetBlobIfUnused(node, blob);
}

/** After a reconnect: the snapshot lists every live ingest; the others are gone. */
export function applySnapshot(ctx: Context, node: NodeState, input: AgentSnapshot): void {
  node.agent = 'connected';
  node.rateAt = -1;
  const listed = new Set<string>();
  for (const ingest of input.ingests) if (typeof ingest?.digest === 'string') listed.add(ingest.digest);
  for (const blob of [...node.liveBlobs]) {
    if (!listed.has(blob.digest)) applyGone(ctx, node, { type: 'ingest.gone', at: ctx.now, node: node.name, ref: '', digest: blob.digest, outcome: 'unknown' });
  }
  applyIngests(ctx, node, input.ingests);
  for (const pull of node.pulls) touch(ctx, pull);
}

function sourceKeys(sources: readonly unknown[]): Set<string> {
  const keys = new Set<string>();
  for (const source of sources) {
    if (typeof source !== 'string') continue;
    keys.add(parseImageName(source)?.sourceKey ?? source);
  }
  return keys;
}

/** The active pull a manifest or index belongs to, oldest first among those matching by source. */
function matchPull(node: NodeState, digest: string, sources: readonly unknown[]): Pull | undefined {
  const keys = sourceKeys(sources);
  let bySource: Pull | undefined;
  for (const pull of node.pulls) {
    if (!isActive(pull) || pull.manifestDigest !== undefined) continue;
    if (pull.childManifests?.has(digest) === true || pull.name.digest === digest) return pull;
    if (bySource === undefined && pull.childManifests === undefined && keys.has(pull.name.sourceKey)) bySource = pull;
  }
  return bySource;
}

function alreadyAttached(node: NodeState, digest: string): boolean {
  return node.pulls.some((pull) => isActive(pull) && (pull.manifestDigest === digest || pull.digest === digest));
}

/** Media types repeat across every layer of every manifest: one string each instead of one per
 * descriptor (200 k layers in the window → ~14 MB saved). Bounded against hostile input. */
const mediaTypes = new Map<string, string>();
function intern(mediaType: string): string {
  const known = mediaTypes.get(mediaType);
  if (known !== undefined) return known;
  if (mediaTypes.size < 256) mediaTypes.set(mediaType, mediaType);
  return mediaType;
}

function validDescriptor(descriptor: BlobDescriptor | undefined): descriptor is BlobDescriptor {
  return (
    typeof descriptor === 'object' &&
    descriptor !== null &&
    typeof descriptor.digest === 'string' &&
    descriptor.digest.length > 0 &&
    isTime(descriptor.size)
  );
}

/** The node's blob for a descriptor. A blob we saw committed that the manifest now reports as
 * missing was garbage-collected since: a fresh blob replaces it (old pulls keep the old one). */
function claimBlob(node: NodeState, descriptor: BlobDescriptor, kind: 'config' | 'layer'): Blob {
  let blob = node.blobs.get(descriptor.digest);
  if (blob === undefined || (blob.committed && descriptor.present === false)) {
    if (blob !== undefined) forgetIngestOrder(node, blob);
    blob = newBlob(descriptor.digest, kind, descriptor.size, descriptor.mediaType);
    node.blobs.set(descriptor.digest, blob);
  }
  blob.kind = kind;
  if (blob.size !== descriptor.size) {
    blob.size = descriptor.size;
    for (const owner of blob.owners) recountPull(owner);
  }
  if (typeof descriptor.mediaType === 'string' && descriptor.mediaType !== '') blob.mediaType = intern(descriptor.mediaType);
  return blob;
}

function attachManifest(ctx: Context, node: NodeState, pull: Pull, input: ManifestSeen): void {
  pull.manifestDigest = input.digest;
  pull.digest ??= input.digest;
  pull.fromAgent = true;
  pull.phases.resolvingAt ??= ctx.now;
  const descriptors: [BlobDescriptor, 'config' | 'layer'][] = [];
  if (input.config !== undefined) descriptors.push([input.config, 'config']);
  for (const layer of input.layers) descriptors.push([layer, 'layer']);
  for (const [descriptor, kind] of descriptors) {
    if (!validDescriptor(descriptor)) {
      ctx.warn('malformed-descriptor');
      continue;
    }
    const blob = claimBlob(node, descriptor, kind);
    if (pull.blobs.includes(blob)) continue;
    const cached = descriptor.present === true && !blob.live;
    addBlobToPull(pull, blob, cached);
    if (!cached && blob.fetcher === undefined && !blob.committed) blob.fetcher = pull;
    for (const other of blob.owners) touch(ctx, other);
    // Copy-on-write: the list may be another pull's shared `alone`.
    blob.owners = blob.owners.length === 0 ? pull.alone : [...blob.owners, pull];
    if (blob.live && blob.done > 0) pull.phases.downloadingAt ??= ctx.now;
  }
  // Exact size: pushing one by one leaves the array's backing store half empty (20 layers → room
  // for 41), for as long as the pull stays in the view.
  pull.blobs = pull.blobs.slice();
  if (allFetched(pull)) pull.phases.unpackingAt ??= ctx.now;
  claimSharedFetches(ctx, pull);
  touch(ctx, pull);
}

/** A manifest read before containerd labelled its source names no image: it belongs to the one
 * pull kubelet announced on the node that has no manifest yet — when there is exactly one. */
function onlyPullAwaitingManifest(node: NodeState): Pull | undefined {
  const waiting = node.pulls.filter((pull) => isActive(pull) && !pull.provisional && pull.manifestDigest === undefined && pull.childManifests === undefined);
  return waiting.length === 1 ? waiting[0] : undefined;
}

/** A pull kubelet's Pulled already ended before any agent input reached it, still waiting for the
 * agent (see OTHER_SOURCE_GRACE_MS): by source, or the only such pull when the manifest names none. */
function recentlyFinishedAwaiting(ctx: Context, node: NodeState, keys: ReadonlySet<string>): Pull | undefined {
  const waiting = ctx.awaitingOtherSource.filter((pull) => pull.node === node && !pull.fromAgent && pull.manifestDigest === undefined);
  return keys.size > 0 ? waiting.find((pull) => keys.has(pull.name.sourceKey)) : waiting.length === 1 ? waiting[0] : undefined;
}

export function applyManifest(ctx: Context, node: NodeState, input: ManifestSeen): void {
  const keys = sourceKeys(input.sources);
  const name = provisionalName(keys.values().next().value, input.digest);
  const attached = alreadyAttached(node, input.digest);
  // The agent-only row this manifest made when it was read before its source label (see below).
  const nameless = keys.size > 0 ? node.pulls.find((p) => isActive(p) && p.provisional && p.name.sourceKey === '' && p.manifestDigest === input.digest) : undefined;
  let pull = matchPull(node, input.digest, input.sources);
  if (pull === undefined && keys.size === 0 && !attached) pull = onlyPullAwaitingManifest(node);
  if (nameless !== undefined) {
    if (pull === undefined) {
      // Named now: kubelet's event, when it comes, adopts it.
      nameless.image = name.canonical;
      nameless.name = name;
      touch(ctx, nameless);
      return;
    }
    // kubelet's pull of this image was waiting for it: the nameless row was that pull all along.
    removePull(ctx, nameless);
  }
  if (pull === undefined) {
    if (attached) return;
    const finished = recentlyFinishedAwaiting(ctx, node, keys);
    if (finished !== undefined) {
      // its phases are kubelet's, all in the past: attaching must not stamp new ones after the end
      const phases = { ...finished.phases };
      attachManifest(ctx, node, finished, input);
      Object.assign(finished.phases, phases);
      // kubelet's Pulled said the pull is done: every blob it fetched is in the store by now
      creditFetchedBlobs(finished, finished.phases.finishedAt ?? ctx.now);
      return;
    }
    // Nothing to show for an image whose every layer is already here (a re-read, not a pull).
    if (!input.layers.some((layer) => layer?.present === false)) return;
    pull = createPull(ctx, node, name.canonical, name, true);
  }
  attachManifest(ctx, node, pull, input);
}

export function applyIndex(ctx: Context, node: NodeState, input: IndexSeen): void {
  const pull = matchPull(node, input.digest, input.sources);
  if (pull === undefined || pull.childManifests !== undefined) return;
  pull.digest = input.digest;
  pull.childManifests = new Set(input.manifests.filter((m) => typeof m?.digest === 'string').map((m) => m.digest));
  pull.fromAgent = true;
  pull.phases.resolvingAt ??= ctx.now;
  touch(ctx, pull);
}

function pullByDigest(node: NodeState, digest: string | undefined): Pull | undefined {
  if (digest === undefined) return undefined;
  return node.pulls.find((pull) => isActive(pull) && (pull.digest === digest || pull.manifestDigest === digest));
}

/** An image record names the end of a pull. Records named `sha256:<config>` (CRI image id) or
 * `repo@sha256:…` finish the pull with that digest but never create or rename one. */
export function applyImage(ctx: Context, node: NodeState, input: ImageUpserted): void {
  const name = parseImageName(input.name);
  let pull: Pull | undefined;
  if (name === undefined || name.tag === undefined) {
    if (name === undefined && !input.name.startsWith('sha256:')) ctx.warn('bad-image-name');
    pull = pullByDigest(node, input.targetDigest) ?? pullByDigest(node, name?.digest);
  } else {
    pull = activePull(node, name.canonical) ?? pullByDigest(node, input.targetDigest);
    if (pull === undefined && input.targetDigest === undefined) {
      pull = node.pulls.find((p) => isActive(p) && p.provisional && p.name.sourceKey === name.sourceKey);
    }
    if (pull !== undefined && pull.provisional) renamePull(pull, input.name, name);
  }
  if (pull === undefined) return;
  pull.fromAgent = true;
  if (input.targetDigest !== undefined) pull.digest ??= input.targetDigest;
  finishPull(ctx, pull, 'done');
}

/** A provisional (agent-only) pull learns its name. Its id stays: ids are stable for the UI. */
export function renamePull(pull: Pull, image: string, name: NonNullable<ReturnType<typeof parseImageName>>): void {
  pull.image = image;
  pull.name = name;
  pull.provisional = false;
}

export function applyContentDeleted(node: NodeState, digest: string): void {
  const blob = node.blobs.get(digest);
  if (blob === undefined || blob.live) return;
  // Pulls that used it keep their (finished) copy; a future pull gets a fresh blob.
  node.blobs.delete(digest);
  forgetIngestOrder(node, blob);
}

/** The node's pulls become `unknown` (see state.ts) until the agent reconnects and resyncs. */
export function disconnectAgent(ctx: Context, node: NodeState): void {
  node.agent = 'disconnected';
  node.rateAt = -1;
  for (const pull of node.pulls) touch(ctx, pull);
}
