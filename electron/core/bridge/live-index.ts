// One session's index of everything live in the core: the latest PullView per `cluster\0id`, per-state
// counters kept up to date per change (never by a scan), node views, and each cluster's chart rings.
// Engine deltas land here as they come (O(changes)); the session reads windows out of it when it
// flushes. Its size is bounded by the number of live objects, however long the renderer is slow.
import type { EngineDelta, NodeView, PullState, PullView } from '../engine/types.ts';
import type { ClusterNodeView, NodesState, PullCounts, PullFacets, PullFilter, PullRow, PullSort } from './contract.ts';
import { ClusterChart } from './chart-window.ts';
import { FacetIndex, pullKey, pullPredicate, sortKeys, toRow } from './pull-query.ts';
import type { CoreSnapshot } from './updates.ts';

export class LiveIndex {
  readonly #pulls = new Map<string, PullView>();
  readonly #byState = new Map<PullState, number>();
  readonly #facets = new FacetIndex();
  #failures = 0;
  readonly #nodes = new Map<string, ClusterNodeView>();
  readonly #charts = new Map<string, ClusterChart>();
  /** Bumped on any pull change; `countsVersion` only when a counter moved. */
  pullsVersion = 0;
  countsVersion = 0;
  nodesVersion = 0;
  /** Bumped when a cluster's series gets a new bucket (about once a second) or a chart goes. */
  chartsVersion = 0;

  load(snapshot: CoreSnapshot): void {
    for (const pull of snapshot.pulls) this.#upsert(pull.cluster, pull);
    for (const { cluster, nodes } of snapshot.nodes) this.#setNodes(cluster, nodes);
    for (const { cluster, series } of snapshot.series) this.#charts.set(cluster, ClusterChart.from(series));
    this.chartsVersion++;
  }

  applyEngine(cluster: string, delta: EngineDelta): void {
    for (const id of delta.removals) this.#remove(pullKey(cluster, id));
    for (const pull of delta.upserts) this.#upsert(cluster, pull);
    if (delta.nodes.length > 0) this.#setNodes(cluster, delta.nodes);
    if (delta.series.cluster.length > 0 || Object.keys(delta.series.nodes).length > 0) {
      let chart = this.#charts.get(cluster);
      if (chart === undefined) this.#charts.set(cluster, (chart = new ClusterChart()));
      chart.add(delta.series.cluster, delta.series.nodes);
      if (delta.series.cluster.length > 0) this.chartsVersion++;
    }
  }

  /** A closed cluster takes its pulls, nodes and chart along (rare: the one place a scan is fine). */
  dropCluster(cluster: string): void {
    const prefix = pullKey(cluster, '');
    for (const key of [...this.#pulls.keys()]) if (key.startsWith(prefix)) this.#remove(key);
    for (const key of [...this.#nodes.keys()]) if (key.startsWith(prefix)) this.#nodes.delete(key);
    this.#charts.delete(cluster);
    this.nodesVersion++;
    this.chartsVersion++;
  }

  get(key: string): PullView | undefined {
    return this.#pulls.get(key);
  }

  counts(): PullCounts {
    return { total: this.#pulls.size, byState: Object.fromEntries(this.#byState), failures: this.#failures };
  }

  /** Picker values over every pull; `facetsVersion` moves when one appears or disappears. */
  facets(): PullFacets {
    return this.#facets.facets();
  }

  get facetsVersion(): number {
    return this.#facets.version;
  }

  /** The sorted keys of the pulls matching `filter`: one pass over every pull plus a sort of the
   * matches. The session calls it when the query changes and otherwise at most once a second (see
   * session-view.ts); the bench measures its cost. */
  order(filter: PullFilter, sort: PullSort): string[] {
    const matches = pullPredicate(filter);
    const keys: string[] = [];
    const pulls: PullView[] = [];
    for (const [key, pull] of this.#pulls) {
      if (!matches(pull)) continue;
      keys.push(key);
      pulls.push(pull);
    }
    return sortKeys(keys, pulls, sort);
  }

  /** The `n` pulls moving fastest now (a bounded insertion, no sort of every pull). */
  fastest(n: number): PullRow[] {
    const best: PullView[] = [];
    for (const pull of this.#pulls.values()) {
      if (pull.rate <= 0 || (best.length === n && pull.rate <= (best.at(-1)?.rate ?? 0))) continue;
      const at = best.findIndex((b) => b.rate < pull.rate);
      best.splice(at < 0 ? best.length : at, 0, pull);
      if (best.length > n) best.pop();
    }
    return best.map(toRow);
  }

  busiestNodes(n: number): NodesState {
    const all = [...this.#nodes.values()].sort((a, b) => b.rate - a.rate || b.activePulls - a.activePulls || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { total: all.length, busiest: all.slice(0, n) };
  }

  charts(): Array<{ cluster: string; chart: ClusterChart }> {
    return [...this.#charts].map(([cluster, chart]) => ({ cluster, chart }));
  }

  #upsert(cluster: string, pull: PullView): void {
    const key = pullKey(cluster, pull.id);
    const previous = this.#pulls.get(key);
    this.#pulls.set(key, pull);
    this.#facets.update(previous, pull);
    this.pullsVersion++;
    if (previous?.state === pull.state) return;
    if (previous) this.#count(previous.state, -1);
    this.#count(pull.state, 1);
    if (pull.state === 'failed') this.#failures++;
  }

  #remove(key: string): void {
    const previous = this.#pulls.get(key);
    if (previous === undefined) return;
    this.#pulls.delete(key);
    this.#facets.update(previous, undefined);
    this.#count(previous.state, -1);
    this.pullsVersion++;
  }

  #count(state: PullState, by: number): void {
    const next = (this.#byState.get(state) ?? 0) + by;
    if (next === 0) this.#byState.delete(state);
    else this.#byState.set(state, next);
    this.countsVersion++;
  }

  #setNodes(cluster: string, nodes: readonly NodeView[]): void {
    for (const node of nodes) this.#nodes.set(pullKey(cluster, node.name), { cluster, ...node });
    this.nodesVersion++;
  }
}
