// View state of the window (which view, which pull is open, table filter and sort): local to the
// renderer, never sent to the core.
import { create } from 'zustand';
import { emptyFilter, type PullFilter, type Sort } from '../lib/pull-table.ts';

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
  sort: Sort;
  /** Set by `/`; the pulls view focuses its search box and clears it. */
  searchFocusPending: boolean;
  show(view: ViewName): void;
  open(key: string | undefined): void;
  select(key: string | undefined): void;
  setFilter(patch: Partial<PullFilter>): void;
  sortBy(key: Sort['key']): void;
  focusSearch(): void;
  searchFocused(): void;
}

export const useUi = create<UiState>()((set) => ({
  view: 'pulls',
  openPull: undefined,
  selected: undefined,
  filter: emptyFilter,
  sort: { key: 'state', descending: false },
  searchFocusPending: false,
  show: (view) => set({ view, openPull: undefined }),
  open: (openPull) => set({ openPull, ...(openPull ? { selected: openPull, view: 'pulls' as const } : {}) }),
  select: (selected) => set({ selected }),
  setFilter: (patch) => set((s) => ({ filter: { ...s.filter, ...patch } })),
  sortBy: (key) => set((s) => ({ sort: { key, descending: s.sort.key === key ? !s.sort.descending : key === 'rate' || key === 'progress' } })),
  focusSearch: () => set({ view: 'pulls', openPull: undefined, searchFocusPending: true }),
  searchFocused: () => set({ searchFocusPending: false }),
}));
