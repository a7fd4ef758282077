// What the core tells the bridge, one change at a time. The bridge session merges these into
// `delta` messages (coalesce.ts) for each connected renderer.
import type { EngineDelta } from '../engine/types.ts';
import type { ClusterStatus, PullNotification, Settings, SnapshotMessage } from './contract.ts';

export type CoreUpdate =
  | { kind: 'engine'; cluster: string; delta: EngineDelta }
  | { kind: 'cluster'; status: ClusterStatus }
  | { kind: 'cluster.removed'; cluster: string }
  | { kind: 'notification'; notification: PullNotification }
  | { kind: 'settings'; settings: Settings };

/** The core's live state as the bridge needs it: a full snapshot for a new connection, then updates. */
export interface CoreStateSource {
  snapshot(): Omit<SnapshotMessage, 'type'>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (update: CoreUpdate) => void): () => void;
}
