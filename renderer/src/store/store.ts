// The renderer's state: what the core's session sends for the current view (bridge windowing).
// Rows of the table are indexed by `cluster\0id` with their order as a key list at the window's
// offset; the open pull is held in full; counters, facets, charts and nodes arrive already reduced.
// A delta touches only the parts it carries, and within the window only the rows whose data changed
// get a new object (React skips the others). Collections are replaced, not mutated.
import { createStore } from 'zustand/vanilla';
import type {
  ChartsState,
  ClusterStatus,
  DeltaMessage,
  NodesState,
  PullCounts,
  PullDetailMessage,
  PullFacets,
  PullNotification,
  PullRow,
  PullWindow,
  ServerMessage,
  Settings,
  SnapshotMessage,
} from '../../../electron/core/bridge/contract.ts';

const MAX_NOTIFICATIONS = 50;

export const pullKey = (cluster: string, id: string): string => `${cluster}\u0000${id}`;

/** The loaded slice of the table: `keys[i]` is row `offset + i`. */
export interface TableWindow {
  /** The view request's query number these rows answer. */
  query: number;
  matching: number;
  offset: number;
  keys: string[];
  rows: Map<string, PullRow>;
}

export type ConnectionState = { status: 'connecting' } | { status: 'open' } | { status: 'closed'; reason: string };

export interface PulltraceState {
  connection: ConnectionState;
  /** True once the first snapshot arrived (before that, views show a loading state). */
  synced: boolean;
  /** Bumped on every snapshot: the view request must be sent again to a new session. */
  sessionEpoch: number;
  clusters: Map<string, ClusterStatus>;
  counts: PullCounts;
  table: TableWindow;
  facets: PullFacets;
  /** The open pull, in full, under its key; `pull: null` when the core no longer has it. */
  detail: (PullDetailMessage & { key: string }) | undefined;
  charts: ChartsState | undefined;
  nodes: NodesState | undefined;
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

const emptyTable: TableWindow = { query: -1, matching: 0, offset: 0, keys: [], rows: new Map() };
const emptyFacets: PullFacets = { clusters: [], namespaces: [], nodes: [], images: [] };

export function createPulltraceStore() {
  return createStore<PulltraceState & PulltraceActions>()((set) => ({
    connection: { status: 'connecting' },
    synced: false,
    sessionEpoch: 0,
    clusters: new Map(),
    counts: { total: 0, byState: {}, failures: 0 },
    table: emptyTable,
    facets: emptyFacets,
    detail: undefined,
    charts: undefined,
    nodes: undefined,
    notifications: [],
    settings: undefined,
    protocolError: undefined,
    apply(message) {
      if (message.type === 'snapshot') set((s) => fromSnapshot(s, message));
      else if (message.type === 'delta') set((s) => withDelta(s, message));
    },
    setConnection: (connection) => set({ connection }),
    setProtocolError: (protocolError) => set({ protocolError }),
    dismissNotification: (id) => set((s) => ({ notifications: s.notifications.filter((n) => n.id !== id) })),
  }));
}

function fromSnapshot(s: PulltraceState, m: SnapshotMessage): Partial<PulltraceState> {
  return {
    ...windowed({ ...s, table: emptyTable, detail: undefined }, m),
    synced: true,
    sessionEpoch: s.sessionEpoch + 1,
    clusters: new Map(m.clusters.map((c) => [c.id, c])),
    settings: m.settings,
    notifications: [],
  };
}

function withDelta(s: PulltraceState, d: DeltaMessage): Partial<PulltraceState> {
  const next = windowed(s, d);
  if (d.clusters.length > 0 || d.clustersRemoved.length > 0) {
    const clusters = new Map(s.clusters);
    for (const c of d.clusters) clusters.set(c.id, c);
    for (const id of d.clustersRemoved) clusters.delete(id);
    next.clusters = clusters;
  }
  if (d.notifications.length > 0) next.notifications = [...s.notifications, ...d.notifications].slice(-MAX_NOTIFICATIONS);
  if (d.settings) next.settings = d.settings;
  return next;
}

/** The windowed parts a snapshot or delta carries; absent parts keep their current value. */
function windowed(s: PulltraceState, m: SnapshotMessage | DeltaMessage): Partial<PulltraceState> {
  const next: Partial<PulltraceState> = {};
  if (m.counts) next.counts = m.counts;
  if (m.facets) next.facets = m.facets;
  if (m.window) next.table = withWindow(s.table, m.window);
  if (m.detail) next.detail = { ...m.detail, key: pullKey(m.detail.cluster, m.detail.id) };
  if (m.charts) next.charts = m.charts;
  if (m.nodes) next.nodes = m.nodes;
  return next;
}

/** Keeps the previous row object when its data did not change, so unchanged rows do not re-render. */
function withWindow(previous: TableWindow, w: PullWindow): TableWindow {
  const rows = new Map<string, PullRow>();
  const keys: string[] = [];
  for (const row of w.rows) {
    const key = pullKey(row.cluster, row.id);
    const old = previous.rows.get(key);
    rows.set(key, old !== undefined && sameRow(old, row) ? old : row);
    keys.push(key);
  }
  return { query: w.query, matching: w.matching, offset: w.offset, keys, rows };
}

function sameRow(a: PullRow, b: PullRow): boolean {
  return a.updatedAt === b.updatedAt && a.state === b.state && a.done === b.done && a.total === b.total && a.rate === b.rate && a.etaSeconds === b.etaSeconds && a.pods === b.pods && a.node === b.node;
}
