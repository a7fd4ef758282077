// View state of the window (which view, which pull is open, the table's filter, sort and visible
// rows). The core's session sends data only for what this describes: `viewRequest()` is what the
// renderer sends it (`view.set`) whenever this state changes.
import { create } from 'zustand';
import { emptyPullFilter, type PullFilter, type PullSort, type ViewRequest } from '../../../electron/core/bridge/contract.ts';

export type ViewName = 'clusters' | 'pulls' | 'charts' | 'nodes' | 'history';
export const VIEWS: ReadonlyArray<{ name: ViewName; label: string }> = [
  { name: 'clusters', label: 'Clusters' },
  { name: 'pulls', label: 'Pulls' },
  { name: 'charts', label: 'Throughput' },
  { name: 'nodes', label: 'Nodes' },
  { name: 'history', label: 'History' },
];

interface UiState {
  view: ViewName;
  /** The pull whose detail is open (store key), if any. */
  openPull: string | undefined;
  /** The highlighted row of the table (keyboard selection). */
  selected: string | undefined;
  filter: PullFilter;
  sort: PullSort;
  /** Numbers each sort + filter; the table is stale until a window for this number arrives. */
  query: number;
  /** The rows of the table the core should send: the visible ones plus overscan. */
  range: { offset: number; limit: number };
  /** Set by `/`; the pulls view focuses its search box and clears it. */
  searchFocusPending: boolean;
  show(view: ViewName): void;
  open(key: string | undefined): void;
  select(key: string | undefined): void;
  setFilter(patch: Partial<PullFilter>): void;
  sortBy(key: PullSort['key']): void;
  setRange(range: { offset: number; limit: number }): void;
  focusSearch(): void;
  searchFocused(): void;
}

export const useUi = create<UiState>()((set) => ({
  view: 'pulls',
  openPull: undefined,
  selected: undefined,
  filter: emptyPullFilter,
  query: 0,
  range: { offset: 0, limit: 60 },
  sort: { key: 'state', descending: false },
  searchFocusPending: false,
  show: (view) => set({ view, openPull: undefined }),
  open: (openPull) => set({ openPull, ...(openPull ? { selected: openPull, view: 'pulls' as const } : {}) }),
  select: (selected) => set({ selected }),
  setFilter: (patch) => set((s) => ({ filter: { ...s.filter, ...patch }, query: s.query + 1 })),
  sortBy: (key) => set((s) => ({ sort: { key, descending: s.sort.key === key ? !s.sort.descending : key === 'rate' || key === 'progress' }, query: s.query + 1 })),
  setRange: (range) => set((s) => (s.range.offset === range.offset && s.range.limit === range.limit ? s : { range })),
  focusSearch: () => set({ view: 'pulls', openPull: undefined, searchFocusPending: true }),
  searchFocused: () => set({ searchFocusPending: false }),
}));

/** What the core should send for this view state. */
export function viewRequest(ui: Pick<UiState, 'view' | 'openPull' | 'filter' | 'sort' | 'query' | 'range'>): ViewRequest {
  const detail = ui.openPull === undefined ? undefined : splitKey(ui.openPull);
  const table = ui.view === 'pulls' && detail === undefined;
  return {
    ...(table ? { pulls: { query: ui.query, sort: ui.sort, filter: ui.filter, offset: ui.range.offset, limit: ui.range.limit } } : {}),
    ...(detail ? { detail } : {}),
    charts: ui.view === 'charts',
    nodes: ui.view === 'nodes',
  };
}

/** The inverse of store.ts's pullKey. */
function splitKey(key: string): { cluster: string; id: string } {
  const at = key.indexOf('\u0000');
  return { cluster: key.slice(0, at), id: key.slice(at + 1) };
}
