// Merges core updates into one pending delta per connection. The latest view of a pull, node or
// cluster replaces the previous one, so however long a consumer is slow (backpressure) the pending
// state stays bounded by the number of live objects — a slow renderer gets merged state, never an
// unbounded queue of stale deltas.
//
// A pull that only made progress (same state as last sent) is re-sent at most once per
// PROGRESS_INTERVAL_MS; a new pull, a state change or a removal goes out with the next delta. With
// thousands of pulls moving, progress is most of the traffic, and a progress bar or an ETA does
// not need more than one refresh a second; a failure or a stall must not wait. At most
// MAX_UPSERTS_PER_DELTA pull views go in one message, state changes first.
import type { NodeView, PullState, PullView, SeriesPoint } from '../engine/types.ts';
import type { ClusterStatus, DeltaMessage, PullNotification, Settings } from './contract.ts';
import type { CoreUpdate } from './updates.ts';

/** A series never holds more points than the engine's window can produce (1 Hz × 10 min here):
 * older pending points would be cut by the renderer's window anyway. */
const maxPendingPointsPerSeries = 600;
/** Notifications beyond this many between two flushes are summarised by the newest ones. */
const maxPendingNotifications = 50;

const keyOf = (cluster: string, id: string): string => `${cluster}\u0000${id}`;

export const PROGRESS_INTERVAL_MS = 1_000;
/** Pull views per delta message: a renderer parses and applies one message per frame, so a bounded
 * message keeps frames short; beyond this the oldest-pending pulls go first, the rest wait for the
 * next delta (merged meanwhile), i.e. under extreme load progress refreshes less often. */
export const MAX_UPSERTS_PER_DELTA = 500;

interface PendingSeries {
  cluster: SeriesPoint[];
  nodes: Map<string, SeriesPoint[]>;
}

export class DeltaCoalescer {
  #clusters = new Map<string, ClusterStatus>();
  #clustersRemoved = new Set<string>();
  #upserts = new Map<string, PullView>();
  #removals = new Map<string, { cluster: string; id: string }>();
  #nodes = new Map<string, Map<string, NodeView>>();
  #series = new Map<string, PendingSeries>();
  #notifications: PullNotification[] = [];
  #settings: Settings | undefined;
  /** What the consumer last received of each live pull (its state and when). */
  #sent = new Map<string, { state: PullState; at: number }>();

  add(update: CoreUpdate): void {
    switch (update.kind) {
      case 'engine': {
        const { cluster, delta } = update;
        for (const id of delta.removals) {
          const key = keyOf(cluster, id);
          this.#upserts.delete(key);
          this.#removals.set(key, { cluster, id });
        }
        for (const pull of delta.upserts) {
          const key = keyOf(cluster, pull.id);
          this.#removals.delete(key);
          this.#upserts.set(key, pull);
        }
        if (delta.nodes.length > 0) {
          const nodes = this.#nodes.get(cluster) ?? new Map<string, NodeView>();
          for (const node of delta.nodes) nodes.set(node.name, node);
          this.#nodes.set(cluster, nodes);
        }
        this.#addSeries(cluster, delta.series.cluster, delta.series.nodes);
        break;
      }
      case 'cluster':
        this.#clustersRemoved.delete(update.status.id);
        this.#clusters.set(update.status.id, update.status);
        break;
      case 'cluster.removed':
        this.#dropCluster(update.cluster);
        this.#clustersRemoved.add(update.cluster);
        break;
      case 'notification':
        this.#notifications.push(update.notification);
        if (this.#notifications.length > maxPendingNotifications) this.#notifications.splice(0, this.#notifications.length - maxPendingNotifications);
        break;
      case 'settings':
        this.#settings = update.settings;
        break;
    }
  }

  /** Takes what is due at `at` as one delta message (progress-only pull updates younger than
   * PROGRESS_INTERVAL_MS, and pulls beyond MAX_UPSERTS_PER_DELTA, stay pending); undefined when
   * nothing is due. */
  takeDue(at: number): DeltaMessage | undefined {
    const upserts: PullView[] = [];
    const due = (key: string, pull: PullView): 'state' | 'progress' | undefined => {
      const sent = this.#sent.get(key);
      if (sent === undefined || sent.state !== pull.state) return 'state';
      return at - sent.at >= PROGRESS_INTERVAL_MS ? 'progress' : undefined;
    };
    // Two passes in pending order (oldest first): state changes, then progress, up to the cap.
    for (const pass of ['state', 'progress'] as const) {
      for (const [key, pull] of this.#upserts) {
        if (upserts.length >= MAX_UPSERTS_PER_DELTA) break;
        if (due(key, pull) !== pass) continue;
        upserts.push(pull);
        this.#sent.set(key, { state: pull.state, at });
        this.#upserts.delete(key);
      }
    }
    for (const key of this.#removals.keys()) this.#sent.delete(key);
    const nothingElse =
      this.#clusters.size === 0 && this.#clustersRemoved.size === 0 && this.#removals.size === 0 && this.#nodes.size === 0 &&
      this.#series.size === 0 && this.#notifications.length === 0 && this.#settings === undefined;
    if (upserts.length === 0 && nothingElse) return undefined;
    const message: DeltaMessage = {
      type: 'delta',
      at,
      clusters: [...this.#clusters.values()],
      clustersRemoved: [...this.#clustersRemoved],
      upserts,
      removals: [...this.#removals.values()],
      nodes: [...this.#nodes].map(([cluster, nodes]) => ({ cluster, nodes: [...nodes.values()] })),
      series: [...this.#series].map(([cluster, s]) => ({ cluster, series: { cluster: s.cluster, nodes: Object.fromEntries(s.nodes) } })),
      notifications: this.#notifications,
      ...(this.#settings ? { settings: this.#settings } : {}),
    };
    this.#clusters = new Map();
    this.#clustersRemoved = new Set();
    // #upserts keeps what was not due or did not fit, in its pending order.
    this.#removals = new Map();
    this.#nodes = new Map();
    this.#series = new Map();
    this.#notifications = [];
    this.#settings = undefined;
    return message;
  }

  #addSeries(cluster: string, clusterPoints: SeriesPoint[], nodePoints: Record<string, SeriesPoint[]>): void {
    const nodeEntries = Object.entries(nodePoints).filter(([, points]) => points.length > 0);
    if (clusterPoints.length === 0 && nodeEntries.length === 0) return;
    const pending = this.#series.get(cluster) ?? { cluster: [], nodes: new Map<string, SeriesPoint[]>() };
    appendBounded(pending.cluster, clusterPoints);
    for (const [node, points] of nodeEntries) {
      const list = pending.nodes.get(node) ?? [];
      appendBounded(list, points);
      pending.nodes.set(node, list);
    }
    this.#series.set(cluster, pending);
  }

  #dropCluster(cluster: string): void {
    this.#clusters.delete(cluster);
    this.#nodes.delete(cluster);
    this.#series.delete(cluster);
    const prefix = keyOf(cluster, '');
    for (const key of this.#upserts.keys()) if (key.startsWith(prefix)) this.#upserts.delete(key);
    for (const key of this.#removals.keys()) if (key.startsWith(prefix)) this.#removals.delete(key);
    for (const key of this.#sent.keys()) if (key.startsWith(prefix)) this.#sent.delete(key);
  }
}

function appendBounded(target: SeriesPoint[], points: readonly SeriesPoint[]): void {
  target.push(...points);
  if (target.length > maxPendingPointsPerSeries) target.splice(0, target.length - maxPendingPointsPerSeries);
}
