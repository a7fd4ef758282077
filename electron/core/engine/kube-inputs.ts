// Inputs from Kubernetes: kubelet image events and pod container statuses. They name pulls
// (node + image as requested), attach the pods waiting on them, and — with no agent on the node —
// are all there is: events-only mode derives queue time, duration, size and failures from them.
import type { FailureReason, KubeletEvent, NodeRemoved, PodObserved, PodWaiting } from './types.ts';
import {
  activePull,
  createPull,
  endIngest,
  finishPull,
  latestPull,
  nodeFor,
  releaseFinished,
  touch,
  type Context,
} from './context.ts';
import { BoundedMap } from './bounded.ts';
import { parseImageName, type ImageName } from './image-name.ts';
import { failureReasonOf, isPullBackOff, parsePulledMessage, quotedImage } from './kubelet-messages.ts';
import { isActive, type NodeState, type Pull } from './model.ts';
import { renamePull } from './agent-inputs.ts';

/** Events applied, by (uid, count): a re-list or duplicate watch event is applied once. */
const DEDUPE_EVENTS = 50_000;

export function newEventDedupe(): BoundedMap<true> {
  return new BoundedMap(DEDUPE_EVENTS);
}

function attachPod(ctx: Context, pull: Pull, event: KubeletEvent, waitingReason?: string): void {
  const existing = pull.eventPods.get(event.pod.uid);
  const attached: PodWaiting = {
    pod: event.pod,
    container: event.container ?? existing?.container,
    waitingReason: waitingReason ?? existing?.waitingReason,
  };
  pull.eventPods.set(event.pod.uid, attached);
  ctx.podsVersion++;
  pull.fromEvents = true;
  touch(ctx, pull);
}

/** The active pull for an image, adopting an agent-only pull of the same repository that has no
 * name yet (the agent saw its manifest before kubelet's event arrived), or a new one. */
function pullFor(ctx: Context, node: NodeState, image: string, name: ImageName): Pull {
  const active = activePull(node, name.canonical);
  if (active !== undefined) return active;
  const provisional = node.pulls.find((p) => isActive(p) && p.provisional && p.name.sourceKey === name.sourceKey);
  if (provisional !== undefined) {
    renamePull(provisional, image, name);
    return provisional;
  }
  const pull = createPull(ctx, node, image, name, false);
  pull.phases.queuedAt = ctx.now;
  return pull;
}

function imageOf(ctx: Context, event: KubeletEvent): { image: string; name: ImageName } | undefined {
  const image = quotedImage(event.message);
  const name = image === undefined ? undefined : parseImageName(image);
  if (image === undefined || name === undefined) {
    ctx.warn('event-without-image');
    return undefined;
  }
  return { image, name };
}

function fail(ctx: Context, pull: Pull, reason: FailureReason, message: string): void {
  pull.fromEvents = true;
  finishPull(ctx, pull, 'failed', { reason, message });
}

function onPulled(ctx: Context, node: NodeState, event: KubeletEvent): void {
  const target = imageOf(ctx, event);
  if (target === undefined) return;
  const parsed = parsePulledMessage(event.message);
  if (parsed.alreadyPresent) {
    const pull = createPull(ctx, node, target.image, target.name, false);
    pull.phases.queuedAt = ctx.now;
    attachPod(ctx, pull, event);
    finishPull(ctx, pull, 'cached');
    return;
  }
  const latest = latestPull(node, target.name.canonical);
  if (latest !== undefined && latest.terminal === 'done' && latest.kubelet === undefined) {
    // The agent saw the image record first: kubelet's message only adds its figures and pod.
    latest.kubelet = { pullMs: parsed.pullMs, totalMs: parsed.totalMs, sizeBytes: parsed.sizeBytes };
    attachPod(ctx, latest, event);
    releaseFinished(ctx, latest);
    return;
  }
  const pull = pullFor(ctx, node, target.image, target.name);
  pull.kubelet = { pullMs: parsed.pullMs, totalMs: parsed.totalMs, sizeBytes: parsed.sizeBytes };
  const took = parsed.totalMs ?? parsed.pullMs;
  // Engine started after kubelet's Pulling event: the message says when the pull began.
  if (pull.phases.queuedAt === undefined || (took !== undefined && pull.phases.queuedAt === ctx.now)) {
    pull.phases.queuedAt = took === undefined ? ctx.now : ctx.now - took;
  }
  if (!pull.fromAgent && parsed.pullMs !== undefined) pull.phases.downloadingAt ??= ctx.now - parsed.pullMs;
  attachPod(ctx, pull, event);
  finishPull(ctx, pull, 'done');
}

/** The newest pull this pod's container was attached to on this node. */
function pullOfPod(node: NodeState, event: KubeletEvent): Pull | undefined {
  for (let i = node.pulls.length - 1; i >= 0; i--) {
    const pull = node.pulls[i];
    const attached = pull?.eventPods.get(event.pod.uid);
    if (pull !== undefined && attached !== undefined && (event.container === undefined || attached.container === event.container)) {
      return pull;
    }
  }
  return undefined;
}

/** A pull failed, or kubelet backs off: fail the active attempt; attach the pod to an attempt that
 * already failed (no second record); start and fail one when the engine knew of no attempt. */
function onFailure(ctx: Context, node: NodeState, event: KubeletEvent, reason: FailureReason, waitingReason?: string): void {
  const generic = /^Error: (ErrImagePull|ImagePullBackOff)/.exec(event.message.trim());
  let pull: Pull | undefined;
  if (generic !== null) {
    pull = pullOfPod(node, event);
    if (pull === undefined) {
      ctx.warn('event-without-image');
      return;
    }
  } else {
    const target = imageOf(ctx, event);
    if (target === undefined) return;
    const latest = latestPull(node, target.name.canonical);
    pull = latest !== undefined && latest.terminal === 'failed' ? latest : pullFor(ctx, node, target.image, target.name);
  }
  attachPod(ctx, pull, event, waitingReason ?? (generic?.[1] === 'ImagePullBackOff' ? 'ImagePullBackOff' : 'ErrImagePull'));
  // kubelet posts "Error: ErrImagePull" beside the specific "Failed to pull image …: <cause>" within
  // the same second, in either order. Failing on the generic one would record the pull's reason as
  // "other" for good (the finished record goes out once), so only the specific event, a BackOff or
  // the pod's status ends the pull.
  if (generic === null && isActive(pull)) fail(ctx, pull, reason, event.message);
}

export function applyKubeletEvent(ctx: Context, dedupe: BoundedMap<true>, event: KubeletEvent): void {
  const key = `${event.uid}:${event.count}`;
  if (dedupe.has(key)) return;
  dedupe.set(key, true);
  const node = nodeFor(ctx, event.node);
  switch (event.reason) {
    case 'Pulling': {
      const target = imageOf(ctx, event);
      if (target === undefined) return;
      const pull = pullFor(ctx, node, target.image, target.name);
      pull.phases.queuedAt ??= ctx.now;
      attachPod(ctx, pull, event);
      return;
    }
    case 'Pulled':
      onPulled(ctx, node, event);
      return;
    case 'Failed': {
      const backoff = /ImagePullBackOff/.test(event.message);
      onFailure(ctx, node, event, backoff ? 'backoff' : failureReasonOf(event.message));
      return;
    }
    case 'BackOff':
      // "Back-off restarting failed container" is about a crash loop, not an image.
      if (isPullBackOff(event.message)) onFailure(ctx, node, event, 'backoff', 'ImagePullBackOff');
      return;
    case 'ErrImageNeverPull':
    case 'InspectFailed':
      onFailure(ctx, node, event, failureReasonOf(event.message, event.reason), event.reason);
      return;
    default:
      ctx.warn('unknown-event-reason');
  }
}

const PULL_FAILURE_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff']);

/** A pod no longer waits: deleted, or every container started. A started pod stays on the finished
 * pulls kubelet named it on: it waited on them until they ended. */
function forgetPod(ctx: Context, uid: string, nodeName: string | undefined, deleted: boolean): void {
  ctx.podsVersion++;
  if (nodeName === undefined) return;
  ctx.waitingPods.get(nodeName)?.delete(uid);
  const node = ctx.nodes.get(nodeName);
  for (const pull of node?.pulls ?? []) {
    const active = isActive(pull);
    if (((deleted || active) && pull.eventPods.delete(uid)) || active) touch(ctx, pull);
  }
}

/** A pod status: remembered while some container has not started (it may wait on a pull). In
 * events-only mode, a pull failure visible only in the status (the engine missed the events)
 * becomes a failed pull — once per image: never for an image whose attempts the engine knows. */
export function applyPod(ctx: Context, input: PodObserved): void {
  const uid = input.pod.uid;
  ctx.podsVersion++;
  const previous = ctx.pods.get(uid);
  ctx.pods.delete(uid);
  if (previous?.node !== undefined && previous.node !== input.node) forgetPod(ctx, uid, previous.node, true);
  const waiting = input.containers.filter((c) => typeof c?.image === 'string' && c.started !== true);
  if (input.deleted || waiting.length === 0 || input.node === undefined) {
    forgetPod(ctx, uid, input.node ?? previous?.node, input.deleted || input.node === undefined);
    return;
  }
  ctx.pods.set(uid, { pod: input.pod, node: input.node, workload: input.workload, containers: input.containers });
  let index = ctx.waitingPods.get(input.node);
  if (index === undefined) {
    index = new Set();
    ctx.waitingPods.set(input.node, index);
  }
  index.add(uid);
  const node = nodeFor(ctx, input.node);
  for (const pull of node.pulls) touch(ctx, pull);
  for (const container of waiting) {
    if (container.waitingReason === undefined || !PULL_FAILURE_REASONS.has(container.waitingReason)) continue;
    const name = parseImageName(container.image);
    if (name === undefined || ctx.attempts.has(`${node.name}/${name.canonical}`)) continue;
    const pull = createPull(ctx, node, container.image, name, false);
    pull.phases.queuedAt = ctx.now;
    pull.fromEvents = true;
    const message = container.waitingMessage ?? container.waitingReason;
    const reason = container.waitingReason === 'ImagePullBackOff' && failureReasonOf(message) === 'other' ? 'backoff' : failureReasonOf(message);
    fail(ctx, pull, reason, message);
  }
}

export function applyNodeRemoved(ctx: Context, input: NodeRemoved): void {
  const node = ctx.nodes.get(input.node);
  if (node === undefined) return;
  for (const pull of node.pulls) {
    if (isActive(pull)) finishPull(ctx, pull, 'abandoned', { reason: 'node-gone', message: `node ${node.name} was removed` });
  }
  for (const blob of [...node.liveBlobs]) endIngest(node, blob);
  node.agent = 'none';
  node.removed = true;
  ctx.waitingPods.delete(node.name);
  if (node.pulls.length === 0) ctx.nodes.delete(node.name);
}
