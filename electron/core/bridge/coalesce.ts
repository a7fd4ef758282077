// Merges the core's non-pull updates (cluster statuses, notifications, settings) into one pending
// delta per connection. The latest status of a cluster replaces the previous one, so however long a
// consumer is slow (backpressure) the pending state stays bounded by the number of clusters — a slow
// renderer gets merged state, never an unbounded queue of stale deltas. Pulls, nodes and series do
// not pass here: they land in the session's LiveIndex and leave through its window (session-view.ts).
import type { ClusterStatus, PullNotification, Settings } from './contract.ts';

/** Notifications beyond this many between two flushes are summarised by the newest ones. */
const maxPendingNotifications = 50;

export interface PendingCoreParts {
  clusters: ClusterStatus[];
  clustersRemoved: string[];
  notifications: PullNotification[];
  settings?: Settings;
}

export class DeltaCoalescer {
  #clusters = new Map<string, ClusterStatus>();
  #clustersRemoved = new Set<string>();
  #notifications: PullNotification[] = [];
  #settings: Settings | undefined;

  cluster(status: ClusterStatus): void {
    this.#clustersRemoved.delete(status.id);
    this.#clusters.set(status.id, status);
  }

  clusterRemoved(cluster: string): void {
    this.#clusters.delete(cluster);
    this.#clustersRemoved.add(cluster);
  }

  notification(notification: PullNotification): void {
    this.#notifications.push(notification);
    if (this.#notifications.length > maxPendingNotifications) this.#notifications.splice(0, this.#notifications.length - maxPendingNotifications);
  }

  settings(settings: Settings): void {
    this.#settings = settings;
  }

  /** Takes everything pending; undefined when nothing is. */
  take(): PendingCoreParts | undefined {
    if (this.#clusters.size === 0 && this.#clustersRemoved.size === 0 && this.#notifications.length === 0 && this.#settings === undefined) return undefined;
    const parts: PendingCoreParts = {
      clusters: [...this.#clusters.values()],
      clustersRemoved: [...this.#clustersRemoved],
      notifications: this.#notifications,
      ...(this.#settings ? { settings: this.#settings } : {}),
    };
    this.#clusters = new Map();
    this.#clustersRemoved = new Set();
    this.#notifications = [];
    this.#settings = undefined;
    return parts;
  }
}
