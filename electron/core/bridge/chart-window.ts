// The throughput chart of one cluster, reduced in the core: the cluster's 1 Hz series and each
// node's, kept in fixed rings over the chart's window; `stacked()` returns the top nodes by volume
// in the window plus "other" (the cluster total minus the top nodes), whatever the number of nodes.
// The renderer then draws at most CHART_TOP_NODES + 1 series × CHART_WINDOW_POINTS points.
import type { SeriesPoint, ThroughputSeries } from '../engine/types.ts';
import { OTHER_SERIES, type StackedChart } from './contract.ts';

export const CHART_WINDOW_POINTS = 300;
export const CHART_TOP_NODES = 6;

/** Times and values in typed arrays (2,000 nodes × 300 points as objects would be ~25 MB), with a
 * running sum of the values in the ring for ranking nodes without rescanning them. */
class PointRing {
  readonly #times = new Float64Array(CHART_WINDOW_POINTS);
  readonly #values = new Float64Array(CHART_WINDOW_POINTS);
  #head = -1;
  #count = 0;
  sum = 0;

  push(at: number, value: number): void {
    this.#head = (this.#head + 1) % CHART_WINDOW_POINTS;
    if (this.#count === CHART_WINDOW_POINTS) this.sum -= this.#values[this.#head] ?? 0;
    else this.#count++;
    this.#times[this.#head] = at;
    this.#values[this.#head] = value;
    this.sum += value;
  }

  get lastAt(): number {
    return this.#count === 0 ? -Infinity : (this.#times[this.#head] ?? -Infinity);
  }

  /** Oldest first. */
  forEach(fn: (at: number, value: number) => void): void {
    for (let back = this.#count - 1; back >= 0; back--) {
      const index = (this.#head - back + CHART_WINDOW_POINTS) % CHART_WINDOW_POINTS;
      fn(this.#times[index] ?? 0, this.#values[index] ?? 0);
    }
  }
}

export class ClusterChart {
  readonly #total = new PointRing();
  readonly #nodes = new Map<string, PointRing>();

  add(cluster: readonly SeriesPoint[], nodes: Readonly<Record<string, readonly SeriesPoint[]>>): void {
    for (const p of cluster) this.#total.push(p.at, p.bytesPerSecond);
    for (const [node, points] of Object.entries(nodes)) {
      if (points.length === 0) continue;
      let ring = this.#nodes.get(node);
      if (ring === undefined) this.#nodes.set(node, (ring = new PointRing()));
      for (const p of points) ring.push(p.at, p.bytesPerSecond);
    }
  }

  static from(series: ThroughputSeries): ClusterChart {
    const chart = new ClusterChart();
    chart.add(series.cluster.slice(-CHART_WINDOW_POINTS), Object.fromEntries(Object.entries(series.nodes).map(([n, p]) => [n, p.slice(-CHART_WINDOW_POINTS)])));
    return chart;
  }

  stacked(cluster: string): StackedChart {
    let windowStart = Infinity;
    this.#total.forEach((at) => (windowStart = Math.min(windowStart, at)));
    // A node whose last point left the window has no volume in it (its ring is not pushed anymore).
    const volume = (ring: PointRing): number => (ring.lastAt >= windowStart ? ring.sum : 0);
    const ranked = [...this.#nodes].filter(([, ring]) => volume(ring) > 0).sort((a, b) => volume(b[1]) - volume(a[1]) || (a[0] < b[0] ? -1 : 1));
    const top = ranked.slice(0, CHART_TOP_NODES);
    const lookups = top.map(([, ring]) => {
      const byAt = new Map<number, number>();
      ring.forEach((at, value) => byAt.set(at, value));
      return byAt;
    });
    const withOther = ranked.length > top.length;
    const rows: number[][] = [];
    this.#total.forEach((at, total) => {
      const values = lookups.map((byAt) => Math.round(byAt.get(at) ?? 0));
      const row = [at, ...values];
      if (withOther) row.push(Math.max(0, Math.round(total - values.reduce((a, b) => a + b, 0))));
      rows.push(row);
    });
    return { cluster, keys: [...top.map(([node]) => node), ...(withOther ? [OTHER_SERIES] : [])], rows };
  }
}
