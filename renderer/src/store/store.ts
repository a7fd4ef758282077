// The renderer's state, indexed by id: pulls by `cluster\0id`, nodes by cluster then name, series
// by cluster. A delta touches only the entries it names (O(changes), never a scan of every pull per
// update — the Freelens #1777 lesson). Collections are replaced, not mutated, so React sees changes.
import { createStore } from 'zustand/vanilla';
import type {
  ClusterStatus,
  DeltaMessage,
  PullNotification,
  ServerMessage,
  NodeView,
  PullView,
  SeriesPoint,
  Settings,
  SnapshotMessage,
} from '../../../electron/core/bridge/contract.ts';

/** Points kept per series: 10 minutes of 1 Hz buckets, the engine's own window. */
export const SERIES_WINDOW_POINTS = 600;
const MAX_NOTIFICATIONS = 50;

export const pullKey = (cluster: string, id: string): string => `${cluster}\u0000${id}`;

export interface ClusterSeries {
  cluster: SeriesPoint[];
  nodes: Map<string, SeriesPoint[]>;
}

export type ConnectionState = { status: 'connecting' } | { status: 'open' } | { status: 'closed'; reason: string };

export interface PulltraceState {
  connection: ConnectionState;
  /** True once the first snapshot arrived (before that, views show a loading state). */
  synced: boolean;
  clusters: Map<string, ClusterStatus>;
  pulls: Map<string, PullView>;
  /** Bumped on every pull change; cheap dependency for derived views. */
  pullsVersion: number;
  nodes: Map<string, Map<string, NodeView>>;
  series: Map<string, ClusterSeries>;
  seriesVersion: number;
  notifications: PullNotification[];
  settings: Settings | undefined;
  protocolError: string | undefined;
}

export interface PulltraceActions {
  apply(message: ServerMessage): void;
  setConnection(state: ConnectionState): void;
  setProtocolError(message: string): void;
  dismissNotification(id: string): void;
}

export type PulltraceStore = ReturnType<typeof createPulltraceStore>;

export function createPulltraceStore() {
  return createStore<PulltraceState & PulltraceActions>()((set) => ({
    connection: { status: 'connecting' },
    synced: false,
    clusters: new Map(),
    pulls: new Map(),
    pullsVersion: 0,
    nodes: new Map(),
    series: new Map(),
    seriesVersion: 0,
    notifications: [],
    settings: undefined,
    protocolError: undefined,
    apply(message) {
      if (message.type === 'snapshot') set((s) => fromSnapshot(message, s.pullsVersion, s.seriesVersion));
      else if (message.type === 'delta') set((s) => withDelta(s, message));
    },
    setConnection: (connection) => set({ connection }),
    setProtocolError: (protocolError) => set({ protocolError }),
    dismissNotification: (id) => set((s) => ({ notifications: s.notifications.filter((n) => n.id !== id) })),
  }));
}

function fromSnapshot(m: SnapshotMessage, pullsVersion: number, seriesVersion: number): Partial<PulltraceState> {
  return {
    synced: true,
    clusters: new Map(m.clusters.map((c) => [c.id, c])),
    pulls: new Map(m.pulls.map((p) => [pullKey(p.cluster, p.id), p])),
    pullsVersion: pullsVersion + 1,
    nodes: new Map(m.nodes.map(({ cluster, nodes }) => [cluster, new Map(nodes.map((n) => [n.name, n]))])),
    series: new Map(
      m.series.map(({ cluster, series }) => [
        cluster,
        { cluster: series.cluster.slice(-SERIES_WINDOW_POINTS), nodes: new Map(Object.entries(series.nodes).map(([n, p]) => [n, p.slice(-SERIES_WINDOW_POINTS)])) },
      ]),
    ),
    seriesVersion: seriesVersion + 1,
    settings: m.settings,
    notifications: [],
  };
}

function withDelta(s: PulltraceState, d: DeltaMessage): Partial<PulltraceState> {
  const next: Partial<PulltraceState> = {};
  if (d.clusters.length > 0 || d.clustersRemoved.length > 0) {
    const clusters = new Map(s.clusters);
    for (const c of d.clusters) clusters.set(c.id, c);
    for (const id of d.clustersRemoved) clusters.delete(id);
    next.clusters = clusters;
  }
  if (d.upserts.length > 0 || d.removals.length > 0 || d.clustersRemoved.length > 0) {
    const pulls = new Map(s.pulls);
    for (const r of d.removals) pulls.delete(pullKey(r.cluster, r.id));
    for (const p of d.upserts) pulls.set(pullKey(p.cluster, p.id), p);
    // A closed cluster takes its pulls along (rare: the one place a scan is acceptable).
    if (d.clustersRemoved.length > 0) {
      const gone = new Set(d.clustersRemoved);
      for (const [key, p] of pulls) if (gone.has(p.cluster)) pulls.delete(key);
    }
    next.pulls = pulls;
    next.pullsVersion = s.pullsVersion + 1;
  }
  if (d.nodes.length > 0 || d.clustersRemoved.length > 0) {
    const nodes = new Map(s.nodes);
    for (const { cluster, nodes: views } of d.nodes) {
      const byName = new Map(nodes.get(cluster));
      for (const v of views) byName.set(v.name, v);
      nodes.set(cluster, byName);
    }
    for (const id of d.clustersRemoved) nodes.delete(id);
    next.nodes = nodes;
  }
  if (d.series.length > 0 || d.clustersRemoved.length > 0) {
    const series = new Map(s.series);
    for (const { cluster, series: points } of d.series) {
      const previous = series.get(cluster) ?? { cluster: [], nodes: new Map<string, SeriesPoint[]>() };
      const nodes = new Map(previous.nodes);
      for (const [node, added] of Object.entries(points.nodes)) nodes.set(node, appendWindow(nodes.get(node) ?? [], added));
      series.set(cluster, { cluster: appendWindow(previous.cluster, points.cluster), nodes });
    }
    for (const id of d.clustersRemoved) series.delete(id);
    next.series = series;
    next.seriesVersion = s.seriesVersion + 1;
  }
  if (d.notifications.length > 0) next.notifications = [...s.notifications, ...d.notifications].slice(-MAX_NOTIFICATIONS);
  if (d.settings) next.settings = d.settings;
  return next;
}

function appendWindow(points: readonly SeriesPoint[], added: readonly SeriesPoint[]): SeriesPoint[] {
  if (added.length === 0) return points as SeriesPoint[];
  const merged = points.concat(added);
  return merged.length > SERIES_WINDOW_POINTS ? merged.slice(merged.length - SERIES_WINDOW_POINTS) : merged;
}
