// What the core tells the bridge, one change at a time. The bridge session merges these into
// `delta` messages (coalesce.ts) for each connected renderer.
import type { EngineDelta, NodeView, PullDetailView, PullView, ThroughputSeries } from '../engine/types.ts';
import type { ClusterStatus, PullNotification, Settings } from './contract.ts';

export type CoreUpdate =
  | { kind: 'engine'; cluster: string; delta: EngineDelta }
  | { kind: 'cluster'; status: ClusterStatus }
  | { kind: 'cluster.removed'; cluster: string }
  | { kind: 'notification'; notification: PullNotification }
  | { kind: 'settings'; settings: Settings };

/** Everything live in the core: a new session indexes it, then follows the updates. */
export interface CoreSnapshot {
  at: number;
  clusters: ClusterStatus[];
  pulls: PullView[];
  nodes: Array<{ cluster: string; nodes: NodeView[] }>;
  series: Array<{ cluster: string; series: ThroughputSeries }>;
  settings: Settings;
}

/** The core's live state as the bridge needs it: a full snapshot for a new connection, then updates. */
export interface CoreStateSource {
  snapshot(): CoreSnapshot;
  /** Returns the unsubscribe function. */
  subscribe(listener: (update: CoreUpdate) => void): () => void;
  /** One live pull with its layers, as of now (updates and snapshots carry pulls without them). */
  pullDetail(cluster: string, id: string): PullDetailView | undefined;
}
