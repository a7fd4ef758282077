import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { PullView } from '../engine/types.ts';
import { emptyPullFilter, type PullSortKey } from './contract.ts';
import { FacetIndex, progressOf, pullPredicate, sortKeys } from './pull-query.ts';

const states = ['queued', 'downloading', 'stalled', 'done', 'failed', 'cached'] as const;
const pull = (i: number, state: PullView['state'], node: string, rate: number, eta: number | null): PullView => ({
  id: `p${i}`, cluster: 'c', node, image: `reg/img${i % 3}:v1`, registry: 'reg', repository: `img${i % 3}`, state, phases: {},
  bytes: { done: i, total: 100, cached: 0, totalKnown: true }, rate, etaSeconds: eta,
  pods: [{ pod: { namespace: i % 2 ? 'shop' : 'ops', name: `pod-${i}`, uid: `${i}` }, workload: { kind: 'Deployment', name: `web-${i}` } }],
  ...(state === 'failed' ? { error: { reason: 'auth' as const, message: '401 Unauthorized' } } : {}), source: 'agent', updatedAt: i,
});
const arbitraryPulls = fc.array(
  fc.record({ state: fc.constantFrom(...states), node: fc.constantFrom('n1', 'n2', 'n10'), rate: fc.nat(50), eta: fc.option(fc.nat(9), { nil: null }) }),
  { maxLength: 60 },
).map((rows) => rows.map((r, i) => pull(i, r.state, r.node, r.rate, r.eta)));

describe('pull query', () => {
  it('sorts like a plain comparator with ties in first-seen order, for every key and direction', () => {
    const read: Record<PullSortKey, (p: PullView) => number | string> = {
      node: (p) => p.node, image: (p) => p.image, state: (p) => ['failed', 'stalled', 'unknown', 'downloading', 'unpacking', 'resolving', 'waiting', 'queued', 'done', 'cached'].indexOf(p.state),
      progress: progressOf, rate: (p) => p.rate, eta: (p) => p.etaSeconds ?? Number.MAX_SAFE_INTEGER, pods: (p) => p.pods.length, updated: (p) => p.updatedAt,
    };
    fc.assert(
      fc.property(arbitraryPulls, fc.constantFrom(...(Object.keys(read) as PullSortKey[])), fc.boolean(), (pulls, key, descending) => {
        const keys = pulls.map((p) => p.id);
        const cmp = (a: PullView, b: PullView): number => {
          const x = read[key](a);
          const y = read[key](b);
          return (descending ? -1 : 1) * (x < y ? -1 : x > y ? 1 : 0) || pulls.indexOf(a) - pulls.indexOf(b);
        };
        expect(sortKeys(keys, pulls, { key, descending })).toEqual([...pulls].sort(cmp).map((p) => p.id));
      }),
    );
  });

  it('filters on cluster, node, image, namespace, state groups and search text', () => {
    const pulls = [pull(1, 'failed', 'n1', 0, null), pull(2, 'stalled', 'n2', 0, null), pull(3, 'done', 'n1', 0, null), pull(4, 'downloading', 'n2', 5, 3)];
    const ids = (patch: Partial<typeof emptyPullFilter>) => pulls.filter(pullPredicate({ ...emptyPullFilter, ...patch })).map((p) => p.id);
    expect(ids({ state: 'problems' })).toEqual(['p1', 'p2']);
    expect(ids({ state: 'active' })).toEqual(['p2', 'p4']);
    expect(ids({ node: 'n1', namespace: 'shop' })).toEqual(['p1', 'p3']);
    expect(ids({ image: 'img1' })).toEqual(['p1', 'p4']);
    expect(ids({ search: 'UNAUTHORIZED' })).toEqual(['p1']);
    expect(ids({ search: 'web-3' })).toEqual(['p3']);
    expect(ids({ cluster: 'other' })).toEqual([]);
  });

  it('keeps sorted picker values by reference counts as pulls come, change and go', () => {
    const facets = new FacetIndex();
    const a = pull(1, 'done', 'n2', 0, null);
    const b = pull(2, 'done', 'n1', 0, null);
    facets.update(undefined, a);
    facets.update(undefined, b);
    expect(facets.facets()).toEqual({ clusters: ['c'], namespaces: ['ops', 'shop'], nodes: ['n1', 'n2'], images: ['img1', 'img2'] });
    const version = facets.version;
    facets.update(a, { ...a, rate: 9 }); // progress only: nothing moves
    expect(facets.version).toBe(version);
    facets.update(b, { ...b, node: 'n2' });
    facets.update(a, undefined);
    expect(facets.facets()).toEqual({ clusters: ['c'], namespaces: ['ops'], nodes: ['n2'], images: ['img2'] });
    expect(facets.version).toBeGreaterThan(version);
  });
});
