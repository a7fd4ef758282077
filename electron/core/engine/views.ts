// Model → output data (types.ts): pull views, finished-pull records and node views.
import type { FinishedPull, LayerView, NodeView, PodWaiting, PullDetailView, PullPhases, PullView } from './types.ts';
import { BytesRecord, LayerViewRecord, PhasesRecord, plainRecord } from './records.ts';
import type { Context } from './context.ts';
import { parseImageName } from './image-name.ts';
import { isActive, isCached, type Blob, type NodeState, type PodRecord, type Pull } from './model.ts';
import { blobRate, layerState, nodeRate, pullStatus, type PullStatus } from './state.ts';

export interface PullBytes {
  done: number;
  total: number;
  cached: number;
  totalKnown: boolean;
}

/** Bytes of a pull: downloaded and total exclude cached blobs, which are counted apart. Without a
 * manifest (events-only mode) the size from kubelet's `Pulled` message is all there is. */
export function pullBytes(pull: Pull): PullBytes {
  const { bytesDone: done, bytesTotal: total, bytesCached: cached } = pull;
  const reported = pull.kubelet?.sizeBytes;
  if (pull.manifestDigest === undefined && reported !== undefined) {
    return new BytesRecord(pull.terminal === 'done' ? reported : 0, reported, 0, true);
  }
  return new BytesRecord(done, total, cached, pull.manifestDigest !== undefined);
}

function source(pull: Pull): PullView['source'] {
  if (pull.fromAgent && pull.fromEvents) return 'both';
  return pull.fromAgent ? 'agent' : 'events';
}

function imageMatches(pull: Pull, image: string): boolean {
  const name = parseImageName(image);
  if (name === undefined) return false;
  return pull.provisional ? name.sourceKey === pull.name.sourceKey : name.canonical === pull.name.canonical;
}

function waitingContainer(record: PodRecord, pull: Pull, container: string | undefined) {
  return record.containers.find((c) => (container === undefined || c.name === container) && imageMatches(pull, c.image));
}

/** Pods waiting on a pull: those named by kubelet events for it, and those whose container status
 * (same node, same image, not started) says they wait. A started or deleted pod is not waiting. */
function podsOf(ctx: Context, pull: Pull): PodWaiting[] {
  const cached = pull.podsView;
  // Matching is by image too, and a provisional pull can be renamed.
  if (cached === null || cached.image !== pull.image) {
    const pods = buildPods(ctx, pull);
    pull.podsView = { pods, version: ctx.podsVersion, image: pull.image };
    return pods;
  }
  if (cached.version !== ctx.podsVersion) {
    // The version moves with any pod of the cluster, so the list is usually unchanged: keep the
    // one already handed out. A new list would stay on the pull until its next view, outlive
    // V8's young-generation collections and end as old-generation garbage (measured below).
    const pods = buildPods(ctx, pull);
    if (!samePods(pods, cached.pods)) cached.pods = pods;
    cached.version = ctx.podsVersion;
  }
  return cached.pods;
}

function samePods(a: readonly PodWaiting[], b: readonly PodWaiting[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as PodWaiting;
    const y = b[i] as PodWaiting;
    if (
      x.pod.uid !== y.pod.uid ||
      x.pod.name !== y.pod.name ||
      x.pod.namespace !== y.pod.namespace ||
      x.container !== y.container ||
      x.waitingReason !== y.waitingReason ||
      x.workload?.kind !== y.workload?.kind ||
      x.workload?.name !== y.workload?.name
    ) {
      return false;
    }
  }
  return true;
}

/** `byStatus`: also pods whose container status waits on this image. True for an active pull, a
 * failed one (pods in ErrImagePull / ImagePullBackOff wait because of it) and the history record
 * built as a pull ends; false for a done or cached pull's later views, or a pod that starts
 * waiting on the image afterwards (a new pull, maybe a cached one) would join it. */
function buildPods(ctx: Context, pull: Pull, byStatus = isActive(pull) || pull.terminal === 'failed'): PodWaiting[] {
  const waitingOnNode = byStatus ? ctx.waitingPods.get(pull.node.name) : undefined;
  if (pull.eventPods.size === 0 && (waitingOnNode === undefined || waitingOnNode.size === 0)) return [];
  const out: PodWaiting[] = [];
  for (const [uid, attached] of pull.eventPods) {
    const record = ctx.pods.get(uid);
    const status = record === undefined ? undefined : waitingContainer(record, pull, attached.container);
    // Started means no longer waiting, unless the pull is finished: then it waited until the end.
    if (status?.started === true && isActive(pull)) continue;
    out.push({
      pod: attached.pod,
      container: attached.container,
      workload: record?.workload ?? attached.workload,
      waitingReason: status?.waitingReason ?? attached.waitingReason,
    });
  }
  for (const uid of waitingOnNode ?? []) {
    const record = ctx.pods.get(uid);
    if (record === undefined || pull.eventPods.has(uid)) continue;
    const status = waitingContainer(record, pull, undefined);
    if (status === undefined || status.started) continue;
    out.push({ pod: record.pod, workload: record.workload, container: status.name, waitingReason: status.waitingReason });
  }
  // At exact size: the list stays on the pull (podsView), and a list grown by push keeps room for
  // 17 (measured: 2 MiB for 11 k one-pod lists).
  return out.slice();
}

/** Views are immutable data: the common "shared with nobody" list is one frozen array. */
const NOBODY: string[] = Object.freeze([]) as unknown as string[];

function sharedWith(pull: Pull, owners: readonly Pull[]): string[] {
  if (owners.length === 1 && owners[0] === pull) return NOBODY;
  const ids: string[] = [];
  for (const owner of owners) if (owner !== pull) ids.push(owner.id);
  return ids;
}

/** A pull's layer views, built afresh for each detail view (only the open pull's are asked for). */
function layerViews(ctx: Context, pull: Pull): LayerView[] {
  const { now, config } = ctx;
  const blobs = pull.blobs;
  const out: LayerView[] = new Array(blobs.length);
  for (let i = 0; i < blobs.length; i++) {
    const blob = blobs[i] as Blob;
    out[i] = new LayerViewRecord(
      blob.digest,
      blob.mediaType,
      blob.size,
      isCached(pull, blob) ? blob.size : Math.min(blob.done, blob.size),
      layerState(pull, blob, now, config),
      blob.live ? blobRate(blob, pull.node, now, config) : 0,
      blob.startedAt,
      blob.finishedAt,
      sharedWith(pull, blob.owners),
    );
  }
  return out;
}

type Identity = Pick<PullView, 'id' | 'cluster' | 'node' | 'image' | 'registry' | 'repository' | 'digest'>;

/** Sets the fields a live view and a history record share. */
function setIdentity<T extends Identity>(target: T, ctx: Context, pull: Pull): T {
  target.id = pull.id;
  target.cluster = ctx.config.cluster;
  target.node = pull.node.name;
  target.image = pull.image;
  target.registry = pull.name.registry;
  target.repository = pull.name.repository;
  target.digest = pull.digest;
  return target;
}

/** The pull's phases as last handed out, while they did not change (views are immutable). */
function phasesOf(pull: Pull): PullPhases {
  const last = pull.phasesView;
  const now = pull.phases;
  if (
    last !== null &&
    last.queuedAt === now.queuedAt &&
    last.resolvingAt === now.resolvingAt &&
    last.downloadingAt === now.downloadingAt &&
    last.unpackingAt === now.unpackingAt &&
    last.finishedAt === now.finishedAt
  ) {
    return last;
  }
  pull.phasesView = new PhasesRecord(now);
  return pull.phasesView;
}

/** A pull's view (a constructor, not a literal: see records.ts). */
const PullViewRecord = plainRecord(function (this: PullView, ctx: Context, pull: Pull, status: PullStatus, bytes: PullBytes) {
  setIdentity(this, ctx, pull);
  this.state = status.state;
  this.waitingOn = status.waitingOn?.id;
  this.phases = phasesOf(pull);
  this.bytes = bytes;
  this.rate = status.rate;
  this.etaSeconds = status.rate > 0 && bytes.totalKnown ? Math.max(0, bytes.total - bytes.done) / status.rate : null;
  this.pods = podsOf(ctx, pull);
  this.error = pull.error === undefined ? undefined : { ...pull.error };
  this.source = source(pull);
  this.updatedAt = pull.updatedAt;
});

export function pullView(
  ctx: Context,
  pull: Pull,
  status: PullStatus = pullStatus(pull, ctx.now, ctx.config),
  bytes: PullBytes = pullBytes(pull),
): PullView {
  return new PullViewRecord(ctx, pull, status, bytes);
}

/** A pull's view with its layers, as of now. */
export function pullDetailView(ctx: Context, pull: Pull): PullDetailView {
  return { ...pullView(ctx, pull), layers: layerViews(ctx, pull) };
}

/** The history record of a pull, built once when it reaches its terminal state. */
export function finishedRecord(ctx: Context, pull: Pull): FinishedPull {
  const { phases } = pull;
  const finishedAt = phases.finishedAt ?? ctx.now;
  const bytes = pullBytes(pull);
  const kubelet = pull.kubelet;
  const startedAt = phases.downloadingAt ?? phases.resolvingAt;
  // With the agent, the download is measured: first byte to last blob in the content store (CRI
  // unpacks while it downloads, so there may be no separate unpacking phase); unpacking is what
  // is left until the image record. kubelet's "pulled in" covers both, so it is the fallback.
  const measured = pull.fromAgent && phases.downloadingAt !== undefined;
  const downloadEnd = phases.unpackingAt ?? (measured ? lastFetchAt(pull, finishedAt) : finishedAt);
  const downloadMs = nonNegative(measured ? downloadEnd - (phases.downloadingAt ?? downloadEnd) : kubelet?.pullMs ?? (phases.downloadingAt === undefined ? undefined : downloadEnd - phases.downloadingAt));
  // kubelet rounds both figures of "in 10.1s (10s including waiting)" separately, and a queue time
  // taken from its message can land after the agent's first byte: durations are clamped at 0.
  const kubeletWait = kubelet?.totalMs !== undefined && kubelet.pullMs !== undefined ? kubelet.totalMs - kubelet.pullMs : undefined;
  const waitMs = nonNegative(kubeletWait ?? (phases.queuedAt !== undefined && startedAt !== undefined ? startedAt - phases.queuedAt : undefined));
  const downloaded = pull.terminal === 'done' || pull.terminal === 'cached' ? bytes.done : Math.min(bytes.done, bytes.total);
  return {
    ...setIdentity({} as Identity, ctx, pull),
    state: pull.terminal ?? 'abandoned',
    error: pull.error === undefined ? undefined : { ...pull.error },
    queuedAt: phases.queuedAt,
    startedAt,
    finishedAt,
    waitMs,
    downloadMs,
    unpackMs: nonNegative(measured || phases.unpackingAt !== undefined ? finishedAt - downloadEnd : undefined),
    bytesTotal: bytes.total,
    bytesDownloaded: downloaded,
    bytesCached: bytes.cached,
    avgRate: downloadMs !== undefined && downloadMs > 0 ? (downloaded * 1000) / downloadMs : 0,
    peakRate: pull.peakRate,
    layerCount: pull.blobs.filter((blob) => blob.kind !== 'config').length,
    pods: buildPods(ctx, pull, true),
    source: source(pull),
  };
}

const nonNegative = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.max(0, ms));

/** When the pull's last downloaded blob reached the content store (at most `finishedAt`). */
function lastFetchAt(pull: Pull, finishedAt: number): number {
  let last: number | undefined;
  for (const blob of pull.blobs) {
    if (isCached(pull, blob) || blob.finishedAt === undefined) continue;
    last = Math.max(last ?? blob.finishedAt, blob.finishedAt);
  }
  return Math.min(last ?? finishedAt, finishedAt);
}

export function nodeView(ctx: Context, node: NodeState): NodeView {
  return {
    name: node.name,
    agent: node.agent,
    agentVersion: node.agentVersion,
    containerdVersion: node.containerdVersion,
    activePulls: node.activePulls,
    rate: nodeRate(node, ctx.now, ctx.config),
  };
}
