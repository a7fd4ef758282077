import { describe, expect, it } from 'vitest';
import type { EngineDelta, PullView } from '../engine/types.ts';
import { serverMessageSchema, type Command, type CommandResult, type ServerMessage } from './contract.ts';
import { openSession, type SessionTransport } from './session.ts';
import { MAX_UPSERTS_PER_DELTA } from './coalesce.ts';
import type { CoreStateSource, CoreUpdate } from './updates.ts';

const pull = (id: string, done: number, state: PullView['state'] = 'downloading'): PullView => ({
  id,
  cluster: 'c1',
  node: 'n1',
  image: `reg/${id}:v1`,
  registry: 'reg',
  repository: id,
  state,
  phases: { queuedAt: 1 },
  bytes: { done, total: 100, cached: 0, totalKnown: true },
  rate: 10,
  etaSeconds: 3,
  layers: [],
  pods: [],
  source: 'agent',
  updatedAt: done,
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

function harness(handle: (c: Command) => Promise<CommandResult> = async () => ({ ok: true, value: { cluster: 'x' } }), clock = { now: 42 }) {
  let listener: ((u: CoreUpdate) => void) | undefined;
  const source: CoreStateSource = {
    snapshot: () => ({ at: 1, clusters: [], pulls: [pull('a', 1)], nodes: [], series: [], settings: { notifications: { failed: true, stalled: true, finished: false }, demoSpeed: 1 } }),
    subscribe: (l) => {
      listener = l;
      return () => (listener = undefined);
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
    push: (u: CoreUpdate) => listener?.(u),
    tick: () => tick?.(),
    setCongested: (v: boolean) => (congested = v),
    subscribed: () => listener !== undefined,
  };
}

describe('bridge session', () => {
  it('sends hello then a snapshot on connect, all valid per the contract', () => {
    const h = harness();
    expect(h.sent.map((m) => m.type)).toEqual(['hello', 'snapshot']);
    for (const m of h.sent) expect(serverMessageSchema.safeParse(m).success).toBe(true);
  });

  it('coalesces many updates into one delta per tick, latest view wins', () => {
    const h = harness();
    for (let i = 0; i < 50; i++) h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: [pull('a', i)] }) });
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: [pull('b', 5)] }) });
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ removals: ['b'] }) });
    h.tick();
    const deltas = h.sent.filter((m) => m.type === 'delta');
    expect(deltas).toHaveLength(1);
    const d = deltas[0];
    if (d?.type !== 'delta') throw new Error('no delta');
    expect(d.upserts.map((p) => [p.id, p.bytes.done])).toEqual([['a', 49]]);
    expect(d.removals).toEqual([{ cluster: 'c1', id: 'b' }]);
    expect(serverMessageSchema.safeParse(d).success).toBe(true);
    h.tick();
    expect(h.sent.filter((m) => m.type === 'delta')).toHaveLength(1);
  });

  it('holds deltas while the transport is congested and then sends merged state', () => {
    const h = harness();
    h.setCongested(true);
    for (let i = 0; i < 1000; i++) {
      h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: [pull(`p${i % 10}`, i)], series: { cluster: [{ at: i, bytesPerSecond: i }], nodes: {} } }) });
      h.tick();
    }
    expect(h.sent.filter((m) => m.type === 'delta')).toHaveLength(0);
    h.setCongested(false);
    h.tick();
    const d = h.sent.find((m) => m.type === 'delta');
    if (d?.type !== 'delta') throw new Error('no delta');
    expect(d.upserts).toHaveLength(10);
    // Series points are bounded, newest kept.
    const points = d.series[0]?.series.cluster ?? [];
    expect(points.length).toBe(600);
    expect(points.at(-1)?.at).toBe(999);
  });

  it('re-sends progress of a pull at most once a second, but a state change at once', () => {
    const clock = { now: 1_000 };
    const h = harness(undefined, clock);
    const deltas = () => h.sent.filter((m) => m.type === 'delta');
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: [pull('a', 1)] }) });
    h.tick();
    expect(deltas()).toHaveLength(1);
    clock.now += 100;
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: [pull('a', 2)] }) });
    h.tick();
    expect(deltas()).toHaveLength(1); // progress only, 100 ms after the last send: held
    clock.now += 100;
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: [pull('a', 3, 'stalled')] }) });
    h.tick();
    const stalled = deltas()[1];
    if (stalled?.type !== 'delta') throw new Error('state change not sent');
    expect(stalled.upserts.map((p) => p.state)).toEqual(['stalled']);
    clock.now += 100;
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: [pull('a', 4, 'stalled')] }) });
    h.tick();
    expect(deltas()).toHaveLength(2);
    clock.now += 1_000;
    h.tick(); // the held progress goes out once its second is up, latest value
    const later = deltas()[2];
    if (later?.type !== 'delta') throw new Error('held progress never sent');
    expect(later.upserts.map((p) => p.bytes.done)).toEqual([4]);
  });

  it('caps pull views per delta, state changes first, the rest in the next deltas', () => {
    const clock = { now: 1_000 };
    const h = harness(undefined, clock);
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: Array.from({ length: 600 }, (_, i) => pull(`p${i}`, 1)) }) });
    h.tick();
    h.tick();
    clock.now += 2_000;
    // 600 progress updates, then one failure arriving last: the failure must not wait.
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: Array.from({ length: 600 }, (_, i) => pull(`p${i}`, 2)) }) });
    h.push({ kind: 'engine', cluster: 'c1', delta: delta({ upserts: [pull('p599', 3, 'failed')] }) });
    h.tick();
    h.tick();
    const sizes = h.sent.flatMap((m) => (m.type === 'delta' ? [m.upserts.length] : []));
    expect(sizes).toEqual([MAX_UPSERTS_PER_DELTA, 100, MAX_UPSERTS_PER_DELTA, 100]);
    const second = h.sent.filter((m) => m.type === 'delta')[2];
    if (second?.type !== 'delta') throw new Error('missing delta');
    expect(second.upserts[0]?.state).toBe('failed');
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
