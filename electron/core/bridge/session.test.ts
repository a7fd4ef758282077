import { describe, expect, it } from 'vitest';
import type { EngineDelta, PullDetailView, PullView } from '../engine/types.ts';
import { emptyPullFilter, serverMessageSchema, type Command, type CommandResult, type DeltaMessage, type ServerMessage, type ViewRequest } from './contract.ts';
import { openSession, type SessionTransport } from './session.ts';
import { ORDER_INTERVAL_MS, ROW_REFRESH_MS } from './session-view.ts';
import type { CoreStateSource, CoreUpdate } from './updates.ts';

const pull = (id: string, done: number, state: PullView['state'] = 'downloading', node = 'n1'): PullView => ({
  id,
  cluster: 'c1',
  node,
  image: `reg/${id}:v1`,
  registry: 'reg',
  repository: id,
  state,
  phases: { queuedAt: 1 },
  bytes: { done, total: 100, cached: 0, totalKnown: true },
  rate: 10,
  etaSeconds: 3,
  pods: [{ pod: { namespace: 'shop', name: `pod-${id}`, uid: id } }],
  source: 'agent',
  updatedAt: done,
});

/** The core's detail of a pull: its latest view with one layer. */
const withLayer = (view: PullView): PullDetailView => ({
  ...view,
  layers: [{ digest: `sha256:${view.id}`, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 100, done: view.bytes.done, state: 'downloading', rate: 10, sharedWith: [] }],
});

const delta = (patch: Partial<EngineDelta>): EngineDelta => ({
  at: 0,
  upserts: [],
  removals: [],
  finished: [],
  series: { cluster: [], nodes: {} },
  nodes: [],
  ...patch,
});

function harness(handle: (c: Command) => Promise<CommandResult> = async () => ({ ok: true, value: { cluster: 'x' } }), clock = { now: 42 }, initial: PullView[] = [pull('a', 1)]) {
  let listener: ((u: CoreUpdate) => void) | undefined;
  /** The core's live pulls (cluster c1), as the updates pushed below leave them. */
  const live = new Map(initial.map((p) => [p.id, p]));
  const source: CoreStateSource = {
    snapshot: () => ({ at: 1, clusters: [], pulls: initial, nodes: [], series: [], settings: { notifications: { failed: true, stalled: true, finished: false }, demoSpeed: 1 } }),
    subscribe: (l) => {
      listener = l;
      return () => (listener = undefined);
    },
    pullDetail: (cluster, id) => {
      const view = cluster === 'c1' ? live.get(id) : undefined;
      return view === undefined ? undefined : withLayer(view);
    },
  };
  const sent: ServerMessage[] = [];
  let congested = false;
  const transport: SessionTransport = { kind: 'websocket', send: (m) => sent.push(m), congested: () => congested };
  let tick: (() => void) | undefined;
  const session = openSession(source, { handle }, transport, {
    appVersion: 'test',
    now: () => clock.now,
    every: (fn) => {
      tick = fn;
      return () => (tick = undefined);
    },
  });
  return {
    session,
    sent,
    push: (u: CoreUpdate) => {
      if (u.kind === 'engine' && u.cluster === 'c1') {
        for (const id of u.delta.removals) live.delete(id);
        for (const p of u.delta.upserts) live.set(p.id, p);
      }
      listener?.(u);
    },
    tick: () => tick?.(),
    setCongested: (v: boolean) => (congested = v),
    subscribed: () => listener !== undefined,
    deltas: () => sent.filter((m): m is DeltaMessage => m.type === 'delta'),
    view: (view: ViewRequest) => session.receive({ id: 1000, command: { type: 'view.set', view } }),
  };
}

const table = (patch: Partial<NonNullable<ViewRequest['pulls']>> = {}): ViewRequest => ({
  pulls: { query: 0, sort: { key: 'state', descending: false }, filter: emptyPullFilter, offset: 0, limit: 60, ...patch },
  charts: false,
  nodes: false,
});
const upserts = (...pulls: PullView[]): CoreUpdate => ({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: pulls }) });

describe('bridge session', () => {
  it('sends hello then a snapshot with counters and the first rows (compact, no layers), all valid', () => {
    const h = harness();
    expect(h.sent.map((m) => m.type)).toEqual(['hello', 'snapshot']);
    for (const m of h.sent) expect(serverMessageSchema.safeParse(m).success).toBe(true);
    const snapshot = h.sent[1];
    if (snapshot?.type !== 'snapshot') throw new Error('no snapshot');
    expect(snapshot.counts).toEqual({ total: 1, byState: { downloading: 1 }, failures: 0 });
    expect(snapshot.window?.rows).toEqual([
      { id: 'a', cluster: 'c1', node: 'n1', image: 'reg/a:v1', state: 'downloading', done: 1, total: 100, totalKnown: true, rate: 10, etaSeconds: 3, pods: 1, firstPod: 'shop/pod-a', updatedAt: 1 },
    ]);
    expect(snapshot.facets).toEqual({ clusters: ['c1'], namespaces: ['shop'], nodes: ['n1'], images: ['a'] });
  });

  it('sends the window the renderer asks for: sorted, filtered, sliced, with the matching count', async () => {
    const pulls = Array.from({ length: 100 }, (_, i) => ({ ...pull(`p${String(i).padStart(3, '0')}`, i, i % 10 === 0 ? 'failed' : 'downloading', `n${i % 4}`), rate: (i * 37) % 101 }));
    const h = harness(undefined, undefined, pulls);
    await h.view(table({ query: 1, sort: { key: 'rate', descending: true }, filter: { ...emptyPullFilter, node: 'n2' }, offset: 5, limit: 10 }));
    h.tick();
    const window = h.deltas().at(-1)?.window;
    expect(window?.query).toBe(1);
    // Ties keep the order the pulls were first seen in.
    const expected = pulls.filter((p) => p.node === 'n2').sort((a, b) => b.rate - a.rate || pulls.indexOf(a) - pulls.indexOf(b));
    expect(window?.matching).toBe(25);
    expect(window?.offset).toBe(5);
    expect(window?.rows.map((r) => r.id)).toEqual(expected.slice(5, 15).map((p) => p.id));
    // Search and the state filters run in the core too.
    await h.view(table({ filter: { ...emptyPullFilter, state: 'problems', search: 'POD-P01' } }));
    h.tick();
    expect(h.deltas().at(-1)?.window?.rows.map((r) => r.id)).toEqual(['p010']);
    // The default order puts problems first.
    await h.view(table({ limit: 12 }));
    h.tick();
    expect(h.deltas().at(-1)?.window?.rows.slice(0, 11).map((r) => r.state)).toEqual([...Array(10).fill('failed'), 'downloading']);
  });

  it('re-orders at once when the query changes, otherwise at most once a second', async () => {
    const clock = { now: 10_000 };
    const h = harness(undefined, clock, [pull('a', 1), pull('b', 1)]);
    await h.view(table({ sort: { key: 'progress', descending: true } }));
    h.tick();
    expect(h.deltas().at(-1)?.window?.rows.map((r) => r.id)).toEqual(['a', 'b']);
    clock.now += 100;
    h.push(upserts(pull('b', 90)));
    h.push(upserts(pull('c', 50)));
    h.tick();
    // Not re-ordered yet: the visible rows keep their places (b's new data only), c waits.
    expect(h.deltas().at(-1)?.counts?.total).toBe(3);
    expect(h.deltas().at(-1)?.window).toBeUndefined();
    clock.now += ORDER_INTERVAL_MS;
    h.tick();
    expect(h.deltas().at(-1)?.window?.rows.map((r) => [r.id, r.done])).toEqual([['b', 90], ['c', 50], ['a', 1]]);
  });

  it('refreshes progress of visible rows at most every ROW_REFRESH_MS, a state change at once', async () => {
    const clock = { now: 10_000 };
    const h = harness(undefined, clock);
    await h.view(table());
    h.tick();
    const sentWindows = () => h.deltas().filter((d) => d.window !== undefined).length;
    const before = sentWindows();
    clock.now += 100;
    h.push(upserts(pull('a', 2)));
    h.tick();
    expect(sentWindows()).toBe(before);
    clock.now += 100;
    h.push(upserts(pull('a', 3, 'stalled')));
    h.tick();
    expect(h.deltas().at(-1)?.window?.rows.map((r) => r.state)).toEqual(['stalled']);
    clock.now += 100;
    h.push(upserts(pull('a', 4, 'stalled')));
    h.tick();
    expect(sentWindows()).toBe(before + 1);
    clock.now += ROW_REFRESH_MS;
    h.tick();
    expect(h.deltas().at(-1)?.window?.rows.map((r) => r.done)).toEqual([4]);
  });

  it('sends the open pull in full (layers, pods) and follows it; null once it is gone', async () => {
    const clock = { now: 10_000 };
    const h = harness(undefined, clock, [pull('a', 1), pull('b', 1)]);
    await h.view({ detail: { cluster: 'c1', id: 'b' }, charts: false, nodes: false });
    h.tick();
    const first = h.deltas().at(-1);
    expect(first?.window).toBeUndefined();
    expect(first?.detail?.pull?.layers.map((l) => l.digest)).toEqual(['sha256:b']);
    expect(first?.detail?.pull?.pods[0]?.pod.name).toBe('pod-b');
    const detailsSent = () => h.deltas().filter((d) => d.detail !== undefined).length;
    h.push(upserts(pull('a', 5)));
    clock.now += 100;
    h.tick();
    expect(detailsSent()).toBe(1); // another pull changed: nothing for the detail
    h.push(upserts(pull('b', 7)));
    clock.now += 100;
    h.tick();
    expect(h.deltas().at(-1)?.detail?.pull?.bytes.done).toBe(7);
    expect(h.deltas().at(-1)?.detail?.pull?.layers[0]?.done).toBe(7); // built anew from the core
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ removals: ['b'] }) });
    clock.now += 100;
    h.tick();
    expect(h.deltas().at(-1)?.detail).toEqual({ cluster: 'c1', id: 'b', pull: null });
  });

  it('keeps counters over every pull, whatever the window; removals and failures counted', async () => {
    const clock = { now: 10_000 };
    const h = harness(undefined, clock, Array.from({ length: 300 }, (_, i) => pull(`p${i}`, 1)));
    await h.view(table({ limit: 5 }));
    h.push(upserts(pull('p250', 2, 'failed'), pull('p260', 2, 'stalled')));
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ removals: ['p1', 'p2'] }) });
    h.tick();
    expect(h.deltas().at(-1)?.counts).toEqual({ total: 298, byState: { downloading: 296, failed: 1, stalled: 1 }, failures: 1 });
    // Same query as the snapshot's, re-ordered within a second: until then a removed row is left out.
    expect(h.deltas().at(-1)?.window?.rows.map((r) => r.id)).toEqual(['p0', 'p3', 'p4']);
    clock.now += ORDER_INTERVAL_MS;
    h.tick();
    expect(h.deltas().at(-1)?.window?.rows.map((r) => r.id)).toEqual(['p250', 'p260', 'p0', 'p3', 'p4']);
    // A removed cluster takes its pulls along.
    h.push({ kind: 'cluster.removed', cluster: 'c1' });
    clock.now += ORDER_INTERVAL_MS;
    h.tick();
    expect(h.deltas().at(-1)).toMatchObject({ clustersRemoved: ['c1'], counts: { total: 0, byState: {} }, window: { query: 0, matching: 0, rows: [] } });
  });

  it('forwards notifications of pulls outside the window', async () => {
    const h = harness(undefined, undefined, Array.from({ length: 200 }, (_, i) => pull(`p${i}`, 1)));
    await h.view(table({ limit: 5 }));
    const notification = { id: 'n1', kind: 'failed' as const, cluster: 'c1', pullId: 'p199', image: 'reg/p199:v1', node: 'n1', message: 'x', at: 1 };
    h.push({ kind: 'notification', notification });
    h.tick();
    expect(h.deltas().at(-1)?.notifications).toEqual([notification]);
  });

  it('holds deltas while the transport is congested and then sends merged state, bounded by the live pulls', async () => {
    const clock = { now: 10_000 };
    const h = harness(undefined, clock);
    await h.view({ ...table(), charts: true });
    h.tick();
    const sentBefore = h.sent.length;
    h.setCongested(true);
    for (let i = 0; i < 1000; i++) {
      h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: [pull(`p${i % 10}`, i)], series: { cluster: [{ at: i, bytesPerSecond: i }], nodes: { n1: [{ at: i, bytesPerSecond: i }] } } }) });
      clock.now += 100;
      h.tick();
    }
    expect(h.sent.length).toBe(sentBefore);
    h.setCongested(false);
    h.tick();
    const d = h.deltas().at(-1);
    expect(d?.counts?.total).toBe(11);
    expect(d?.window?.rows.map((r) => r.id).sort()).toEqual(['a', ...Array.from({ length: 10 }, (_, i) => `p${i}`)].sort());
    // The chart is bounded by its window, newest kept.
    const chart = d?.charts?.clusters[0];
    expect(chart?.keys).toEqual(['n1']);
    expect(chart?.rows).toHaveLength(300);
    expect(chart?.rows.at(-1)).toEqual([999, 999]);
    expect(serverMessageSchema.safeParse(d).success).toBe(true);
  });

  it('reduces charts to the top nodes plus other, and the nodes view to the busiest nodes', async () => {
    const clock = { now: 10_000 };
    const h = harness(undefined, clock);
    const nodeSeries = Object.fromEntries(Array.from({ length: 20 }, (_, n) => [`n${n}`, [{ at: 5, bytesPerSecond: n }]]));
    const total = Array.from({ length: 20 }, (_, n) => n).reduce((a, b) => a + b, 0);
    const nodes = Array.from({ length: 200 }, (_, n) => ({ name: `n${n}`, agent: 'connected' as const, activePulls: 1, rate: n }));
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ series: { cluster: [{ at: 5, bytesPerSecond: total }], nodes: nodeSeries }, nodes }) });
    await h.view({ charts: true, nodes: true });
    h.tick();
    const d = h.deltas().at(-1);
    expect(d?.charts?.clusters[0]?.keys).toEqual(['n19', 'n18', 'n17', 'n16', 'n15', 'n14', 'other']);
    expect(d?.charts?.clusters[0]?.rows).toEqual([[5, 19, 18, 17, 16, 15, 14, total - (19 + 18 + 17 + 16 + 15 + 14)]]);
    expect(d?.charts?.fastest.map((r) => r.id)).toEqual(['a']);
    expect(d?.nodes?.total).toBe(200);
    expect(d?.nodes?.busiest).toHaveLength(120);
    expect(d?.nodes?.busiest[0]).toMatchObject({ cluster: 'c1', name: 'n199' });
    expect(d?.window).toBeUndefined();
  });

  it('answers view.set itself (never the core handler) and refuses a malformed view', async () => {
    const seen: Command[] = [];
    const h = harness(async (c) => {
      seen.push(c);
      return { ok: true, value: {} };
    });
    await h.session.receive({ id: 3, command: { type: 'view.set', view: table() } });
    await h.session.receive({ id: 4, command: { type: 'view.set', view: table({ limit: 100_000 }) } });
    expect(h.sent.filter((m) => m.type === 'result')).toEqual([
      { type: 'result', id: 3, result: { ok: true, value: {} } },
      { type: 'result', id: 4, result: { ok: false, error: { code: 'invalid-request', message: expect.stringContaining('command.view.pulls.limit') } } },
    ]);
    expect(seen).toEqual([]);
  });

  it('answers a valid command with its result and a bad one with invalid-request', async () => {
    const seen: Command[] = [];
    const h = harness(async (c) => {
      seen.push(c);
      return { ok: true, value: { cluster: 'demo:lab' } };
    });
    await h.session.receive({ id: 7, command: { type: 'demo.start' } });
    await h.session.receive({ id: 8, command: { type: 'context.connect' } });
    await h.session.receive('garbage');
    const results = h.sent.filter((m) => m.type === 'result');
    expect(results).toEqual([
      { type: 'result', id: 7, result: { ok: true, value: { cluster: 'demo:lab' } } },
      { type: 'result', id: 8, result: { ok: false, error: { code: 'invalid-request', message: expect.stringContaining('command.context') } } },
      { type: 'result', id: -1, result: { ok: false, error: { code: 'invalid-request', message: expect.any(String) } } },
    ]);
    expect(seen).toEqual([{ type: 'demo.start' }]);
  });

  it('turns a throwing handler into a failed result, and stops on close', async () => {
    const h = harness(async () => {
      throw new Error('boom');
    });
    await h.session.receive({ id: 1, command: { type: 'settings.get' } });
    expect(h.sent.at(-1)).toEqual({ type: 'result', id: 1, result: { ok: false, error: { code: 'failed', message: 'boom' } } });
    h.session.close();
    expect(h.subscribed()).toBe(false);
  });
});
