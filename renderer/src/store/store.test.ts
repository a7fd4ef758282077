import { describe, expect, it } from 'vitest';
import type { DeltaMessage, PullDetailView, PullRow, SnapshotMessage } from '../../../electron/core/bridge/contract.ts';
import { createPulltraceStore, pullKey } from './store.ts';
import { useUi, viewRequest } from './ui.ts';

const row = (cluster: string, id: string, done = 0, state: PullRow['state'] = 'downloading'): PullRow => ({
  id, cluster, node: 'n1', image: `reg/${id}`, state, done, total: 100, totalKnown: true, rate: 1, etaSeconds: 1, pods: 0, updatedAt: done,
});
const full = (id: string): PullDetailView => ({
  id, cluster: 'a', node: 'n1', image: `reg/${id}`, registry: 'reg', repository: id, state: 'downloading', phases: {},
  bytes: { done: 1, total: 100, cached: 0, totalKnown: true }, rate: 1, etaSeconds: 1, layers: [], pods: [], source: 'agent', updatedAt: 1,
});
const settings = { notifications: { failed: true, stalled: true, finished: false }, demoSpeed: 1 };
const counts = { total: 2, byState: { downloading: 2 }, failures: 0 };
const snapshot = (rows: PullRow[]): SnapshotMessage => ({
  type: 'snapshot', at: 0, clusters: [], settings, counts, window: { query: 0, matching: rows.length, offset: 0, rows }, facets: { clusters: ['a'], namespaces: [], nodes: ['n1'], images: [] },
});
const delta = (patch: Partial<DeltaMessage>): DeltaMessage => ({ type: 'delta', at: 1, clusters: [], clustersRemoved: [], notifications: [], ...patch });

describe('renderer store', () => {
  it('indexes the window rows by cluster and id, in the order and at the offset the core sent', () => {
    const store = createPulltraceStore();
    store.getState().apply(snapshot([row('a', 'x'), row('b', 'x')]));
    const { table, synced, sessionEpoch, counts: c } = store.getState();
    expect(synced).toBe(true);
    expect(sessionEpoch).toBe(1);
    expect(table.keys).toEqual([pullKey('a', 'x'), pullKey('b', 'x')]);
    expect(table.rows.get(pullKey('b', 'x'))?.cluster).toBe('b');
    expect(c).toEqual(counts);
  });

  it('keeps the object of a row whose data did not change, replaces the changed ones', () => {
    const store = createPulltraceStore();
    store.getState().apply(snapshot([row('a', 'keep'), row('a', 'move', 1)]));
    const kept = store.getState().table.rows.get(pullKey('a', 'keep'));
    store.getState().apply(delta({ window: { query: 3, matching: 40, offset: 20, rows: [row('a', 'move', 50), row('a', 'keep')] } }));
    const { table } = store.getState();
    expect(table).toMatchObject({ query: 3, matching: 40, offset: 20, keys: [pullKey('a', 'move'), pullKey('a', 'keep')] });
    expect(table.rows.get(pullKey('a', 'move'))?.done).toBe(50);
    expect(table.rows.get(pullKey('a', 'keep'))).toBe(kept);
  });

  it('leaves parts a delta does not carry untouched', () => {
    const store = createPulltraceStore();
    store.getState().apply(snapshot([row('a', 'x')]));
    const before = store.getState();
    store.getState().apply(delta({ counts: { total: 3, byState: { failed: 1, downloading: 2 }, failures: 1 } }));
    const after = store.getState();
    expect(after.table).toBe(before.table);
    expect(after.facets).toBe(before.facets);
    expect(after.counts.byState.failed).toBe(1);
  });

  it('holds the open pull in full under its key, and its absence when the core has it no more', () => {
    const store = createPulltraceStore();
    store.getState().apply(snapshot([]));
    store.getState().apply(delta({ detail: { cluster: 'a', id: 'x', pull: full('x') } }));
    expect(store.getState().detail).toMatchObject({ key: pullKey('a', 'x'), pull: { id: 'x' } });
    store.getState().apply(delta({ detail: { cluster: 'a', id: 'x', pull: null } }));
    expect(store.getState().detail?.pull).toBeNull();
  });

  it('applies cluster removals and keeps at most 50 notifications', () => {
    const store = createPulltraceStore();
    store.getState().apply({ ...snapshot([]), clusters: [{ id: 'a', label: 'a', kind: 'demo', state: 'connected', mode: 'replay', missing: [] }] });
    const notifications = Array.from({ length: 60 }, (_, i) => ({ id: `n${i}`, kind: 'failed' as const, cluster: 'a', pullId: 'x', image: 'i', node: 'n', message: 'm', at: i }));
    store.getState().apply(delta({ clustersRemoved: ['a'], notifications }));
    expect(store.getState().clusters.size).toBe(0);
    expect(store.getState().notifications.map((n) => n.id)).toEqual(notifications.slice(10).map((n) => n.id));
  });
});

describe('view request', () => {
  it('asks for the table window on the pulls view, the full pull when one is open, charts or nodes when shown', () => {
    const ui = { ...useUi.getState(), range: { offset: 40, limit: 70 } };
    expect(viewRequest(ui)).toEqual({ pulls: { query: ui.query, sort: ui.sort, filter: ui.filter, offset: 40, limit: 70 }, charts: false, nodes: false });
    expect(viewRequest({ ...ui, openPull: pullKey('demo:lab', 'node/img#1') })).toEqual({ detail: { cluster: 'demo:lab', id: 'node/img#1' }, charts: false, nodes: false });
    expect(viewRequest({ ...ui, view: 'charts' })).toEqual({ charts: true, nodes: false });
    expect(viewRequest({ ...ui, view: 'nodes' })).toEqual({ charts: false, nodes: true });
  });
});
