// Derived state: a layer's and a pull's state and rate at a given engine time. Nothing here is
// stored; it is computed from the model whenever a view is built, so stall detection and rate
// decay need no timers — a tick (or any input) moving the clock is enough.
import type { EngineConfig, LayerState, PullState } from './types.ts';
import { isActive, isCached, type Blob, type NodeState, type Pull } from './model.ts';
import { lastProgressAt, memoRate } from './rate.ts';

export function blobRate(blob: Blob, node: NodeState, now: number, config: EngineConfig): number {
  const samples = blob.samples;
  if (samples === null || node.agent === 'disconnected') return 0;
  return memoRate(samples, now, config.stallAfterMs);
}

function isStalled(blob: Blob, now: number, config: EngineConfig): boolean {
  return blob.samples !== null && now - lastProgressAt(blob.samples) >= config.stallAfterMs;
}

export function layerState(pull: Pull, blob: Blob, now: number, config: EngineConfig): LayerState {
  if (isCached(pull, blob)) return 'cached';
  if (blob.committed) return 'done';
  if (blob.live) return isStalled(blob, now, config) ? 'stalled' : 'downloading';
  return 'pending';
}

/** Sum of node throughput: each live blob once, however many pulls share it. */
export function nodeRate(node: NodeState, now: number, config: EngineConfig): number {
  if (node.agent === 'disconnected') return 0;
  if (node.rateAt === now) return node.rateValue;
  let rate = 0;
  for (const blob of node.liveBlobs) rate += blobRate(blob, node, now, config);
  node.rateAt = now;
  node.rateValue = rate;
  return rate;
}

export interface PullStatus {
  state: PullState;
  rate: number;
  waitingOn?: Pull;
}

const TERMINAL_STATE = { done: 'done', cached: 'cached', failed: 'failed', abandoned: 'failed' } as const;

/** Another active pull fetches one of this pull's blobs (containerd lets one pull write a blob; with
 * CRI the other pull is blocked until that blob is fetched and unpacked). */
function blockingPull(pull: Pull): Pull | undefined {
  for (const blob of pull.blobs) {
    const fetcher = blob.fetcher;
    if (!isCached(pull, blob) && fetcher !== undefined && fetcher !== pull && isActive(fetcher)) return fetcher;
  }
  return undefined;
}

export function pullStatus(pull: Pull, now: number, config: EngineConfig): PullStatus {
  if (pull.terminal !== undefined) return { state: TERMINAL_STATE[pull.terminal], rate: 0 };
  const node = pull.node;
  if (pull.fromAgent && node.agent === 'disconnected') return { state: 'unknown', rate: 0 };
  if (pull.manifestDigest === undefined) {
    const resolving = pull.childManifests !== undefined || (node.agent === 'connected' && node.liveMetadata > 0);
    return { state: resolving ? 'resolving' : 'queued', rate: 0 };
  }
  let rate = 0;
  let ownLive = false;
  let anyMoving = false;
  const allFetched = pull.pendingBlobs === 0;
  const anyLive = pull.liveBlobs.length > 0;
  for (const blob of pull.liveBlobs) {
    rate += blobRate(blob, node, now, config);
    if (!isStalled(blob, now, config)) anyMoving = true;
    if (blob.fetcher === undefined || blob.fetcher === pull || !isActive(blob.fetcher)) ownLive = true;
  }
  if (allFetched) return { state: 'unpacking', rate: 0 };
  if (!ownLive) {
    const blocker = blockingPull(pull);
    if (blocker !== undefined) return { state: 'waiting', rate, waitingOn: blocker };
  }
  if (anyLive) return { state: anyMoving ? 'downloading' : 'stalled', rate };
  return { state: pull.phases.downloadingAt === undefined ? 'resolving' : 'downloading', rate };
}
