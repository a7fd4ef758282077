// Filters and statistics over the journals' column indexes. A filter becomes per-journal lookup
// masks over the interned string tables (image substring, node, namespace, context), so the scan
// over a million rows compares small integers, and whole segments outside the time range are skipped.
import { z } from 'zod';
import type { ClusterJournal, Segment } from './journal.ts';
import { finishedStateSchema } from './record.ts';
import { STATES, type StringTable } from './segment-index.ts';

export const historyFilterSchema = z
  .object({
    /** Cluster names or kubeconfig context names. */
    clusters: z.array(z.string().min(1)).optional(),
    nodes: z.array(z.string().min(1)).optional(),
    /** Case-insensitive substring of the image name. */
    image: z.string().min(1).optional(),
    namespaces: z.array(z.string().min(1)).optional(),
    /** Case-insensitive substring of the image or the node name (the History view's search box). */
    text: z.string().min(1).max(200).optional(),
    states: z.array(finishedStateSchema).optional(),
    /** finishedAt ≥ since (ms since the epoch). */
    since: z.number().finite().optional(),
    /** finishedAt < until (ms since the epoch). */
    until: z.number().finite().optional(),
  })
  .strict();
export type HistoryFilter = z.infer<typeof historyFilterSchema>;

/** The rows of one segment that matched. */
export interface SegmentMatch {
  journal: ClusterJournal;
  segment: Segment;
  rows: Uint32Array;
}

const maskOf = (table: StringTable, accept: (value: string) => boolean): Uint8Array => {
  const mask = new Uint8Array(table.values.length);
  table.values.forEach((value, id) => {
    if (accept(value)) mask[id] = 1;
  });
  return mask;
};

const setOf = (values: readonly string[] | undefined): Set<string> | undefined => (values && values.length > 0 ? new Set(values) : undefined);

export function collectMatches(journals: readonly ClusterJournal[], filter: HistoryFilter): SegmentMatch[] {
  const clusters = setOf(filter.clusters);
  const nodes = setOf(filter.nodes);
  const namespaces = setOf(filter.namespaces);
  const image = filter.image?.toLowerCase();
  const text = filter.text?.toLowerCase();
  const states = new Uint8Array(STATES.length).fill(filter.states && filter.states.length > 0 ? 0 : 1);
  for (const s of filter.states ?? []) states[STATES.indexOf(s)] = 1;
  const since = filter.since ?? -Infinity;
  const until = filter.until ?? Infinity;
  const matches: SegmentMatch[] = [];
  for (const journal of journals) {
    const t = journal.tables;
    // A cluster filter names either the journal's cluster (all rows) or some of its contexts.
    const contextMask = clusters === undefined || clusters.has(journal.cluster) ? undefined : maskOf(t.contexts, (c) => clusters.has(c));
    if (contextMask !== undefined && !contextMask.includes(1)) continue;
    const nodeMask = nodes && maskOf(t.nodes, (n) => nodes.has(n));
    const imageMask = image === undefined ? undefined : maskOf(t.images, (i) => i.toLowerCase().includes(image));
    const textImageMask = text === undefined ? undefined : maskOf(t.images, (i) => i.toLowerCase().includes(text));
    const textNodeMask = text === undefined ? undefined : maskOf(t.nodes, (n) => n.toLowerCase().includes(text));
    const namespaceSetMask = namespaces && new Uint8Array(t.namespaceSetMembers.map((members) => (members.some((id) => namespaces.has(t.namespaces.values[id] ?? '')) ? 1 : 0)));
    for (const segment of journal.segments) {
      const ix = segment.index;
      if (ix.rows === 0 || ix.maxFinishedAt < since || ix.minFinishedAt >= until) continue;
      const rows = new Uint32Array(ix.rows);
      let n = 0;
      for (let r = 0; r < ix.rows; r++) {
        const at = ix.finishedAt[r] ?? 0;
        if (at < since || at >= until) continue;
        if (states[ix.state[r] ?? 0] !== 1) continue;
        if (contextMask && contextMask[ix.context[r] ?? 0] !== 1) continue;
        if (nodeMask && nodeMask[ix.node[r] ?? 0] !== 1) continue;
        if (imageMask && imageMask[ix.image[r] ?? 0] !== 1) continue;
        if (namespaceSetMask && namespaceSetMask[ix.namespaceSet[r] ?? 0] !== 1) continue;
        if (textImageMask && textNodeMask && textImageMask[ix.image[r] ?? 0] !== 1 && textNodeMask[ix.node[r] ?? 0] !== 1) continue;
        rows[n++] = r;
      }
      if (n > 0) matches.push({ journal, segment, rows: rows.subarray(0, n) });
    }
  }
  return matches;
}

export const countMatches = (matches: readonly SegmentMatch[]): number => matches.reduce((sum, m) => sum + m.rows.length, 0);

export interface RowRef {
  match: SegmentMatch;
  row: number;
}

/** Every matched row, oldest finish first (ties keep append order). The order is kept in typed
 * arrays (12 bytes per row) and refs are made one at a time, so an export's memory stays flat. */
export function* chronological(matches: readonly SegmentMatch[]): Generator<RowRef> {
  const total = countMatches(matches);
  const keys = new Float64Array(total);
  const owner = new Uint32Array(total);
  let n = 0;
  matches.forEach((match, m) => {
    const finishedAt = match.segment.index.finishedAt;
    for (const row of match.rows) {
      keys[n] = finishedAt[row] ?? 0;
      owner[n++] = m;
    }
  });
  const order = new Uint32Array(total).map((_, i) => i).sort((a, b) => (keys[a] ?? 0) - (keys[b] ?? 0) || a - b);
  // Position of each match's first row in the flat arrays, to find a row from its flat index.
  const firstOf = new Uint32Array(matches.length);
  for (let m = 1; m < matches.length; m++) firstOf[m] = (firstOf[m - 1] ?? 0) + (matches[m - 1]?.rows.length ?? 0);
  for (const i of order) {
    const m = owner[i] ?? 0;
    const match = matches[m];
    if (match !== undefined) yield { match, row: match.rows[i - (firstOf[m] ?? 0)] ?? 0 };
  }
}

/** The page [offset, offset + limit) of matched rows, newest finish first, without sorting them all. */
export function newestPage(matches: readonly SegmentMatch[], offset: number, limit: number): RowRef[] {
  const keep = offset + limit;
  // Min-heap on finishedAt holding the `keep` newest rows seen so far.
  const heap: { at: number; ref: RowRef }[] = [];
  const less = (i: number, j: number): boolean => (heap[i]?.at ?? 0) < (heap[j]?.at ?? 0);
  const swap = (i: number, j: number): void => {
    const a = heap[i];
    const b = heap[j];
    if (a === undefined || b === undefined) return;
    heap[i] = b;
    heap[j] = a;
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (const match of matches) {
    const finishedAt = match.segment.index.finishedAt;
    for (const row of match.rows) {
      const at = finishedAt[row] ?? 0;
      if (heap.length < keep) {
        heap.push({ at, ref: { match, row } });
        for (let i = heap.length - 1; i > 0 && less(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
      } else if (keep > 0 && at > (heap[0]?.at ?? Infinity)) {
        heap[0] = { at, ref: { match, row } };
        siftDown(0);
      }
    }
  }
  return heap.sort((a, b) => b.at - a.at).slice(offset).map((e) => e.ref);
}

export interface GroupStats {
  key: string;
  count: number;
  failed: number;
  /** failed / count. */
  failureRate: number;
  /** Nearest-rank percentiles of the pulls' total duration in seconds; null without any duration. */
  p50DurationS: number | null;
  p95DurationS: number | null;
  bytesDownloaded: number;
}

const FAILED = STATES.indexOf('failed');

const percentile = (sorted: Float64Array, p: number): number | null =>
  sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0) / 1000;

/** Statistics per image or per registry, largest group first. */
export function statistics(matches: readonly SegmentMatch[], by: 'image' | 'registry'): GroupStats[] {
  const groups = new Map<string, { count: number; failed: number; bytes: number; durations: number[] }>();
  for (const { journal, segment, rows } of matches) {
    const ix = segment.index;
    const column = by === 'image' ? ix.image : ix.registry;
    const names = by === 'image' ? journal.tables.images.values : journal.tables.registries.values;
    for (const row of rows) {
      const key = names[column[row] ?? 0] ?? '';
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { count: 0, failed: 0, bytes: 0, durations: [] }));
      g.count++;
      if (ix.state[row] === FAILED) g.failed++;
      g.bytes += ix.bytesDownloaded[row] ?? 0;
      const d = ix.durationMs[row] ?? Number.NaN;
      if (!Number.isNaN(d)) g.durations.push(d);
    }
  }
  return [...groups]
    .map(([key, g]) => {
      const sorted = Float64Array.from(g.durations).sort();
      return {
        key,
        count: g.count,
        failed: g.failed,
        failureRate: g.failed / g.count,
        p50DurationS: percentile(sorted, 0.5),
        p95DurationS: percentile(sorted, 0.95),
        bytesDownloaded: g.bytes,
      };
    })
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
