import { describe, expect, it } from 'vitest';
import type { PullView } from '../../../electron/core/bridge/contract.ts';
import { emptyFilter, selectRows } from './pull-table.ts';

const pull = (id: string, patch: Partial<PullView> = {}): PullView => ({
  id, cluster: 'c', node: 'n1', image: `reg/${id}:v1`, registry: 'reg', repository: id, state: 'downloading', phases: {},
  bytes: { done: 10, total: 100, cached: 0, totalKnown: true }, rate: 1, etaSeconds: 5, layers: [], pods: [], source: 'agent', updatedAt: 0, ...patch,
});
const index = (pulls: PullView[]) => new Map(pulls.map((p) => [`c\u0000${p.id}`, p]));

describe('pull table selection', () => {
  const pulls = index([
    pull('web', { rate: 50, node: 'n2' }),
    pull('db', { state: 'failed', rate: 0, error: { reason: 'auth', message: '401 Unauthorized' } }),
    pull('cache', { state: 'stalled', pods: [{ pod: { namespace: 'payments', name: 'cache-0', uid: 'u' } }] }),
    pull('api', { state: 'done', bytes: { done: 100, total: 100, cached: 0, totalKnown: true } }),
  ]);

  it('puts failed then stalled first in the default state order', () => {
    expect(selectRows(pulls, emptyFilter, { key: 'state', descending: false }).map((r) => r.pull.id)).toEqual(['db', 'cache', 'web', 'api']);
  });

  it('sorts by rate and by progress', () => {
    expect(selectRows(pulls, emptyFilter, { key: 'rate', descending: true })[0]?.pull.id).toBe('web');
    expect(selectRows(pulls, emptyFilter, { key: 'progress', descending: true })[0]?.pull.id).toBe('api');
  });

  it('filters by state groups, node, namespace, and searches pods and error messages', () => {
    const ids = (f: Partial<typeof emptyFilter>) => selectRows(pulls, { ...emptyFilter, ...f }, { key: 'image', descending: false }).map((r) => r.pull.id);
    expect(ids({ state: 'problems' })).toEqual(['cache', 'db']);
    expect(ids({ state: 'active' })).toEqual(['cache', 'web']);
    expect(ids({ node: 'n2' })).toEqual(['web']);
    expect(ids({ namespace: 'payments' })).toEqual(['cache']);
    expect(ids({ search: 'cache-0' })).toEqual(['cache']);
    expect(ids({ search: 'unauthorized' })).toEqual(['db']);
  });
});
