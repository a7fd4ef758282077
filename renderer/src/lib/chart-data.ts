// Pre-aggregation for the throughput chart: the top N nodes by recent volume as their own series,
// every other node summed into "other", one row per 1 Hz bucket over a fixed window. recharts then
// draws at most N+1 areas × window points, whatever the cluster size.
import type { SeriesPoint } from '../../../electron/core/bridge/contract.ts';

export const OTHER = 'other';

export interface StackedSeries {
  keys: string[];
  rows: Array<Record<string, number>>;
}

export function stackTopNodes(nodes: ReadonlyMap<string, readonly SeriesPoint[]>, topN: number, windowPoints: number): StackedSeries {
  const totals: Array<[string, number]> = [];
  let lastAt = 0;
  for (const [node, points] of nodes) {
    let total = 0;
    for (let i = Math.max(0, points.length - windowPoints); i < points.length; i++) total += points[i]?.bytesPerSecond ?? 0;
    totals.push([node, total]);
    lastAt = Math.max(lastAt, points.at(-1)?.at ?? 0);
  }
  totals.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const top = totals.filter(([, t]) => t > 0).slice(0, topN).map(([n]) => n);
  const topSet = new Set(top);
  const byAt = new Map<number, Record<string, number>>();
  for (const [node, points] of nodes) {
    const key = topSet.has(node) ? node : OTHER;
    for (let i = Math.max(0, points.length - windowPoints); i < points.length; i++) {
      const p = points[i];
      if (p === undefined) continue;
      const row = byAt.get(p.at) ?? { at: p.at };
      row[key] = (row[key] ?? 0) + p.bytesPerSecond;
      byAt.set(p.at, row);
    }
  }
  const hasOther = totals.length > top.length && [...byAt.values()].some((r) => (r[OTHER] ?? 0) > 0);
  const keys = hasOther ? [...top, OTHER] : top;
  const rows = [...byAt.values()].sort((a, b) => (a.at ?? 0) - (b.at ?? 0)).slice(-windowPoints);
  for (const row of rows) for (const k of keys) row[k] ??= 0;
  return { keys, rows: lastAt > 0 ? rows : [] };
}
