// What one session sends for what its renderer looks at (the `view.set` request): each flush it
// compares the index with what it last sent and returns only the parts that changed.
//
// Costs, per flush (100 ms): the counters are O(1); the open pull is built with its layers by the
// engine (one pull), only when the index got a new view of it; the window is ~70 lookups.
// The table's order needs a pass over every pull plus a sort of the matches: it is rebuilt at once
// when the query (sort, filter) changes, otherwise at most once per ORDER_INTERVAL_MS — a new pull
// or a state change reaches its place in the table within a second, and rows do not jump ten times
// a second under the user's eyes. Between re-orderings the window shows the latest data of the
// rows it holds. Progress-only changes of the window go out at most every ROW_REFRESH_MS; a state
// change of a visible row goes out with the next flush.
import type { PullDetailView, PullView } from '../engine/types.ts';
import { emptyPullFilter, type ChartsState, type NodesState, type PullDetailMessage, type PullFacets, type PullWindow, type ViewRequest, type PullCounts } from './contract.ts';
import type { LiveIndex } from './live-index.ts';
import { pullKey, toRow } from './pull-query.ts';

export const ORDER_INTERVAL_MS = 1_000;
export const ROW_REFRESH_MS = 500;
/** Charts and nodes change with the engine's 1 Hz buckets; no point in sending them faster. */
export const SLOW_PARTS_INTERVAL_MS = 1_000;
export const FASTEST_PULLS = 8;
export const BUSIEST_NODES = 120;

/** What a session shows before its renderer says anything: the table's first screen. */
export const defaultView: ViewRequest = {
  pulls: { query: 0, sort: { key: 'state', descending: false }, filter: emptyPullFilter, offset: 0, limit: 60 },
  charts: false,
  nodes: false,
};

export interface WindowedParts {
  counts?: PullCounts;
  window?: PullWindow;
  facets?: PullFacets;
  detail?: PullDetailMessage;
  charts?: ChartsState;
  nodes?: NodesState;
}

export class SessionView {
  readonly #index: LiveIndex;
  #view: ViewRequest = defaultView;
  #queryChanged = true;
  #keys: string[] = [];
  #orderedAt = -Infinity;
  #orderedVersion = -1;
  #sentFacets = -1;
  #sentCounts = -1;
  /** The views behind the rows last sent, to tell whether the window changed. */
  #sentRows: Array<PullView | undefined> = [];
  #sentRange = '';
  #sentMatching = -1;
  #rowsSentAt = -Infinity;
  readonly #detailOf: (cluster: string, id: string) => PullDetailView | undefined;
  #sentDetailKey: string | undefined;
  /** The index's view of the open pull when its detail was last sent. */
  #sentDetail: PullView | null | undefined;
  #chartsSent = { version: -1, at: -Infinity };
  #nodesSent = { version: -1, at: -Infinity };

  /** `detailOf`: the core's pull with its layers (the index holds views without them). */
  constructor(index: LiveIndex, detailOf: (cluster: string, id: string) => PullDetailView | undefined) {
    this.#index = index;
    this.#detailOf = detailOf;
  }

  set(view: ViewRequest): void {
    const query = (v: ViewRequest): string => JSON.stringify(v.pulls ? [v.pulls.query, v.pulls.sort, v.pulls.filter] : null);
    // A new query is answered even when its first rows happen to be the ones already shown.
    if (query(view) !== query(this.#view)) {
      this.#queryChanged = true;
      this.#sentRange = '';
    }
    if (view.charts && !this.#view.charts) this.#chartsSent = { version: -1, at: -Infinity };
    if (view.nodes && !this.#view.nodes) this.#nodesSent = { version: -1, at: -Infinity };
    if (view.pulls && !this.#view.pulls) this.#sentRange = '';
    this.#view = view;
  }

  /** The parts due at `now` (empty when nothing changed). */
  take(now: number): WindowedParts {
    const parts: WindowedParts = {};
    if (this.#index.countsVersion !== this.#sentCounts) {
      this.#sentCounts = this.#index.countsVersion;
      parts.counts = this.#index.counts();
    }
    this.#takePulls(now, parts);
    this.#takeDetail(parts);
    this.#takeSlowParts(now, parts);
    return parts;
  }

  #takePulls(now: number, parts: WindowedParts): void {
    const table = this.#view.pulls;
    if (table === undefined) return;
    const stale = this.#index.pullsVersion !== this.#orderedVersion && now - this.#orderedAt >= ORDER_INTERVAL_MS;
    if (this.#queryChanged || stale) {
      this.#keys = this.#index.order(table.filter, table.sort);
      this.#orderedAt = now;
      this.#orderedVersion = this.#index.pullsVersion;
      this.#queryChanged = false;
    }
    if (this.#index.facetsVersion !== this.#sentFacets) {
      this.#sentFacets = this.#index.facetsVersion;
      parts.facets = this.#index.facets();
    }
    const range = `${table.offset}:${table.limit}`;
    const views = this.#keys.slice(table.offset, table.offset + table.limit).map((key) => this.#index.get(key));
    let changed = false;
    let stateChanged = false;
    for (let i = 0; i < views.length; i++) {
      const before = this.#sentRows[i];
      const after = views[i];
      if (before === after) continue;
      changed = true;
      if (before?.state !== after?.state) stateChanged = true;
    }
    const moved = range !== this.#sentRange || views.length !== this.#sentRows.length || this.#keys.length !== this.#sentMatching;
    if (!moved && !stateChanged && !(changed && now - this.#rowsSentAt >= ROW_REFRESH_MS)) return;
    this.#sentRows = views;
    this.#sentRange = range;
    this.#sentMatching = this.#keys.length;
    this.#rowsSentAt = now;
    // A pull removed since the last ordering is left out until the next one (within a second).
    parts.window = { query: table.query, matching: this.#keys.length, offset: table.offset, rows: views.flatMap((v) => (v ? [toRow(v)] : [])) };
  }

  #takeDetail(parts: WindowedParts): void {
    const wanted = this.#view.detail;
    if (wanted === undefined) {
      this.#sentDetailKey = undefined;
      return;
    }
    const key = pullKey(wanted.cluster, wanted.id);
    // The pull changes (and its layers with it) exactly when the engine sends a new view of it.
    const pull = this.#index.get(key) ?? null;
    if (key === this.#sentDetailKey && pull === this.#sentDetail) return;
    this.#sentDetailKey = key;
    this.#sentDetail = pull;
    const detail = pull === null ? undefined : this.#detailOf(wanted.cluster, wanted.id);
    parts.detail = { cluster: wanted.cluster, id: wanted.id, pull: detail ?? null };
  }

  #takeSlowParts(now: number, parts: WindowedParts): void {
    if (this.#view.charts) {
      const version = this.#index.chartsVersion;
      if (version !== this.#chartsSent.version && now - this.#chartsSent.at >= SLOW_PARTS_INTERVAL_MS) {
        this.#chartsSent = { version, at: now };
        parts.charts = { clusters: this.#index.charts().map(({ cluster, chart }) => chart.stacked(cluster)), fastest: this.#index.fastest(FASTEST_PULLS) };
      }
    }
    if (this.#view.nodes && this.#index.nodesVersion !== this.#nodesSent.version && now - this.#nodesSent.at >= SLOW_PARTS_INTERVAL_MS) {
      this.#nodesSent = { version: this.#index.nodesVersion, at: now };
      parts.nodes = this.#index.busiestNodes(BUSIEST_NODES);
    }
  }
}
