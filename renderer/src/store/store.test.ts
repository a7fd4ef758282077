import { describe, expect, it } from 'vitest';
import type { DeltaMessage, PullView, SnapshotMessage } from '../../../electron/core/bridge/contract.ts';
import { createPulltraceStore, pullKey, SERIES_WINDOW_POINTS } from './store.ts';

const pull = (cluster: string, id: string, done = 0): PullView => ({
  id, cluster, node: 'n1', image: `reg/${id}`, registry: 'reg', repository: id, state: 'downloading', phases: {},
  bytes: { done, total: 100, cached: 0, totalKnown: true }, rate: 1, etaSeconds: 1, layers: [], pods: [], source: 'agent', updatedAt: done,
});
const settings = { notifications: { failed: true, stalled: true, finished: false }, demoSpeed: 1 };
const snapshot = (pulls: PullView[]): SnapshotMessage => ({ type: 'snapshot', at: 0, clusters: [], pulls, nodes: [], series: [], settings });
const delta = (patch: Partial<DeltaMessage>): DeltaMessage => ({
  type: 'delta', at: 1, clusters: [], clustersRemoved: [], upserts: [], removals: [], nodes: [], series: [], notifications: [], ...patch,
});

describe('renderer store', () => {
  it('indexes pulls by cluster and id; the same id in two clusters stays two pulls', () => {
    const store = createPulltraceStore();
    store.getState().apply(snapshot([pull('a', 'x'), pull('b', 'x')]));
    expect(store.getState().synced).toBe(true);
    expect(store.getState().pulls.size).toBe(2);
    expect(store.getState().pulls.get(pullKey('b', 'x'))?.cluster).toBe('b');
  });

  it('applies upserts and removals by key, leaving other entries untouched (same object identity)', () => {
    const store = createPulltraceStore();
    const untouched = pull('a', 'keep');
    store.getState().apply(snapshot([untouched, pull('a', 'gone'), pull('a', 'move', 1)]));
    const version = store.getState().pullsVersion;
    store.getState().apply(delta({ upserts: [pull('a', 'move', 50)], removals: [{ cluster: 'a', id: 'gone' }] }));
    const { pulls, pullsVersion } = store.getState();
    expect([...pulls.keys()].sort()).toEqual([pullKey('a', 'keep'), pullKey('a', 'move')]);
    expect(pulls.get(pullKey('a', 'move'))?.bytes.done).toBe(50);
    expect(pulls.get(pullKey('a', 'keep'))).toBe(untouched);
    expect(pullsVersion).toBe(version + 1);
  });

  it('does not touch pulls for a delta without pull changes', () => {
    const store = createPulltraceStore();
    store.getState().apply(snapshot([pull('a', 'x')]));
    const before = store.getState().pulls;
    store.getState().apply(delta({ nodes: [{ cluster: 'a', nodes: [{ name: 'n1', agent: 'connected', activePulls: 1, rate: 5 }] }] }));
    expect(store.getState().pulls).toBe(before);
    expect(store.getState().nodes.get('a')?.get('n1')?.rate).toBe(5);
  });

  it('keeps series within the window and drops a removed cluster everywhere', () => {
    const store = createPulltraceStore();
    store.getState().apply(snapshot([pull('a', 'x'), pull('b', 'y')]));
    const points = Array.from({ length: SERIES_WINDOW_POINTS + 50 }, (_, i) => ({ at: i, bytesPerSecond: i }));
    store.getState().apply(delta({ series: [{ cluster: 'a', series: { cluster: points, nodes: { n1: points } } }] }));
    const series = store.getState().series.get('a');
    expect(series?.cluster).toHaveLength(SERIES_WINDOW_POINTS);
    expect(series?.cluster.at(-1)?.at).toBe(SERIES_WINDOW_POINTS + 49);
    store.getState().apply(delta({ clustersRemoved: ['a'] }));
    expect([...store.getState().pulls.keys()]).toEqual([pullKey('b', 'y')]);
    expect(store.getState().series.has('a')).toBe(false);
  });
});
