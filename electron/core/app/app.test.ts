import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineDelta, EngineInput } from '../engine/types.ts';
import { commandResultSchemas, type Command, type CommandValue } from '../bridge/contract.ts';
import type { CoreUpdate } from '../bridge/updates.ts';
import { createApp, type App } from './app.ts';
import type { PullEngine } from './ports.ts';

// A recording engine: the app's wiring is under test here, not the engine's logic.
function recordingEngine(cluster: string, seen: EngineInput[]): PullEngine {
  let pending: EngineDelta = { at: 0, upserts: [], removals: [], finished: [], series: { cluster: [], nodes: {} }, nodes: [] };
  return {
    apply(input) {
      seen.push(input);
      if (input.type === 'agent.connected') {
        pending.upserts.push({
          id: `${input.node}/img#1`, cluster, node: input.node, image: 'img', registry: 'r', repository: 'img',
          state: 'failed', phases: {}, bytes: { done: 0, total: 1, cached: 0, totalKnown: true }, rate: 0, etaSeconds: null,
          pods: [], source: 'agent', updatedAt: input.at, error: { reason: 'auth', message: 'denied' },
        });
      }
    },
    drain() {
      const out = pending;
      pending = { at: 0, upserts: [], removals: [], finished: [], series: { cluster: [], nodes: {} }, nodes: [] };
      return out;
    },
    pulls: () => [],
    pull: () => undefined,
    nodes: () => [],
    series: () => ({ cluster: [], nodes: {} }),
  };
}

const recordingDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-app-'));
  const header = { format: 'pulltrace-recording', version: 1, cluster: 'lab', recordedAt: 1000, source: 'unit test' };
  const input = { type: 'agent.connected', at: 1000, node: 'node-a', agentVersion: '1', containerdVersion: '2.1' };
  writeFileSync(path.join(dir, 'lab.ndjson'), `${JSON.stringify(header)}\n${JSON.stringify(input)}\n`);
  writeFileSync(path.join(dir, 'other.ndjson'), `${JSON.stringify(header)}\n${JSON.stringify(input)}\n`);
  return dir;
};

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function ok<C extends Command>(a: App, command: C): Promise<CommandValue<C['type']>> {
  const result = await a.handle(command);
  if (!result.ok) throw new Error(`${command.type}: ${result.error.code} ${result.error.message}`);
  return commandResultSchemas[command.type].parse(result.value) as CommandValue<C['type']>;
}

describe('app', () => {
  it('starts the replay demo through the engine and fans out cluster, pull and notification updates', async () => {
    const seen: EngineInput[] = [];
    app = createApp({ engine: (c) => recordingEngine(c, seen), recordingsDir: recordingDir(), drainEveryMs: 60_000 });
    const updates: CoreUpdate[] = [];
    app.subscribe((u) => updates.push(u));
    const started = await ok(app, { type: 'demo.start' });
    expect(started).toEqual({ cluster: 'demo:lab' });
    expect(seen[0]?.type).toBe('agent.connected');
    app.pump();
    // Every recording plays, each as its own demo cluster.
    expect(updates.map((u) => u.kind)).toEqual(['cluster', 'cluster', 'engine', 'notification', 'engine', 'notification']);
    expect(app.snapshot().clusters.map((c) => [c.id, c.kind, c.mode])).toEqual([['demo:lab', 'demo', 'replay'], ['demo:other', 'demo', 'replay']]);
    // A second start reuses the running demo.
    expect(await ok(app, { type: 'demo.start' })).toEqual({ cluster: 'demo:lab' });
    await ok(app, { type: 'cluster.disconnect', cluster: 'demo:lab' });
    expect(updates.at(-1)).toEqual({ kind: 'cluster.removed', cluster: 'demo:lab' });
  });

  it('answers not-available for backends that are not wired, not-found for unknown clusters', async () => {
    app = createApp({ engine: (c) => recordingEngine(c, []), drainEveryMs: 60_000 });
    expect(await app.handle({ type: 'context.connect', context: 'prod' })).toMatchObject({ ok: false, error: { code: 'not-available' } });
    expect(await app.handle({ type: 'agent.preview', cluster: 'prod', action: 'install' })).toMatchObject({ ok: false, error: { code: 'not-available' } });
    expect(await app.handle({ type: 'demo.start' })).toMatchObject({ ok: false, error: { code: 'not-available' } });
    expect(await app.handle({ type: 'cluster.disconnect', cluster: 'nope' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('settings are validated, merged and broadcast', async () => {
    app = createApp({ engine: (c) => recordingEngine(c, []), drainEveryMs: 60_000 });
    const updates: CoreUpdate[] = [];
    app.subscribe((u) => updates.push(u));
    const next = await ok(app, { type: 'settings.set', patch: { notifications: { finished: true } } });
    expect(next.notifications).toEqual({ failed: true, stalled: true, finished: true });
    expect(updates).toEqual([{ kind: 'settings', settings: next }]);
  });

  it('hands each drain to the history store: upserts to observe (rate series), then finished pulls to record', async () => {
    const calls: string[] = [];
    const finishing = (cluster: string): PullEngine => {
      const engine = recordingEngine(cluster, []);
      const drain = engine.drain;
      engine.drain = () => {
        const delta = drain();
        const [pull] = delta.upserts;
        if (pull !== undefined) delta.finished.push({ ...pull, state: 'failed', finishedAt: 1, bytesTotal: 1, bytesDownloaded: 0, bytesCached: 0, avgRate: 0, peakRate: 0, layerCount: 0 });
        return delta;
      };
      return engine;
    };
    const history = {
      observe: (pulls: readonly { id: string }[]) => calls.push(`observe ${pulls.map((p) => p.id).join()}`),
      record: (pulls: readonly { id: string }[]) => calls.push(`record ${pulls.map((p) => p.id).join()}`),
      query: () => Promise.resolve({ rows: [], truncated: false }),
      exportCsv: () => Promise.resolve({ csv: '', rows: 0 }),
    };
    app = createApp({ engine: finishing, history, recordingsDir: recordingDir(), drainEveryMs: 60_000 });
    await ok(app, { type: 'demo.start' });
    app.pump();
    // Two demo recordings, two clusters: each drain observed before it is recorded.
    expect(calls).toEqual(['observe node-a/img#1', 'record node-a/img#1', 'observe node-a/img#1', 'record node-a/img#1']);
  });

  it('answers history commands with not-available when no history store is open', async () => {
    app = createApp({ engine: (c) => recordingEngine(c, []), drainEveryMs: 60_000 });
    expect(await app.handle({ type: 'history.export', query: {}, destination: 'inline' })).toMatchObject({ ok: false, error: { code: 'not-available' } });
  });
});
