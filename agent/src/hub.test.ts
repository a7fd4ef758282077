import { describe, expect, it } from 'vitest';
import type { Frame, SnapshotMsg } from './frames.ts';
import { Hub, type FrameSink } from './hub.ts';
import { createLogger } from './log.ts';
import { AgentMetrics } from './metrics.ts';

/** A transport that accepts `capacity` frames and then reports backpressure until drained. */
class FakeSink implements FrameSink {
  frames: Frame[] = [];
  private drainListeners: (() => void)[] = [];
  capacity: number;
  ended = false;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  write(frame: Frame): boolean {
    this.frames.push(frame);
    return this.frames.length < this.capacity;
  }
  once(_event: 'drain', listener: () => void): void {
    this.drainListeners.push(listener);
  }
  removeListener(_event: 'drain', listener: () => void): void {
    this.drainListeners = this.drainListeners.filter((l) => l !== listener);
  }
  end(): void {
    this.ended = true;
  }
  drain(extra: number): void {
    this.capacity = this.frames.length + extra;
    const ls = this.drainListeners;
    this.drainListeners = [];
    for (const l of ls) l();
  }
}

const emptySnapshot = (resync: boolean): SnapshotMsg => ({ resync, containerdUp: true, ingests: [], manifests: [], indexes: [] });
const delta = (n: number) => ({ contentDeleted: { digest: `sha256:${n.toString(16).padStart(64, '0')}` } });

function makeHub(opts: Partial<{ queueLimit: number; slowWatcherMs: number; maxWatchers: number }> = {}) {
  const metrics = new AgentMetrics(10);
  const hub = new Hub({ queueLimit: 8, slowWatcherMs: 1_000, maxWatchers: 4, ...opts }, metrics, createLogger('error', () => {}), emptySnapshot);
  return { hub, metrics };
}

describe('Hub', () => {
  it('a slow watcher keeps at most queueLimit frames, gets a resync snapshot when it drains, and never delays a fast one', () => {
    const { hub } = makeHub();
    const fast = new FakeSink(Number.MAX_SAFE_INTEGER);
    const slow = new FakeSink(3);
    hub.add(fast, []);
    const slowWatcher = hub.add(slow, []);
    for (let i = 0; i < 10_000; i++) hub.broadcast(delta(i));
    expect(fast.frames).toHaveLength(10_000);
    expect(fast.frames.map((f) => f.seq)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(slow.frames).toHaveLength(3);
    expect(slowWatcher.queued).toBeLessThanOrEqual(8);
    expect(slowWatcher.coalescedFrames).toBeGreaterThan(9_000);
    slow.drain(1_000);
    const afterDrain = slow.frames.slice(3);
    expect(afterDrain[0]).toMatchObject({ seq: 4, snapshot: { resync: true } });
    // sequence numbers stay gapless per watcher, whatever was coalesced
    expect(slow.frames.map((f) => f.seq)).toEqual(slow.frames.map((_, i) => i + 1));
  });

  it('ends a watcher that has not drained for slowWatcherMs, on a heartbeat', async () => {
    const { hub, metrics } = makeHub({ slowWatcherMs: 1_000 });
    const stuck = new FakeSink(1);
    hub.add(stuck, [delta(1)]);
    const dropped: string[] = [];
    hub.heartbeat(() => ({ heartbeat: { liveIngests: 0, containerdUp: true, coalescedFrames: 0 } }), (_w, why) => dropped.push(why));
    expect(dropped).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_100));
    hub.heartbeat(() => ({ heartbeat: { liveIngests: 0, containerdUp: true, coalescedFrames: 0 } }), (_w, why) => dropped.push(why));
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatch(/watcher too slow/);
    expect(hub.size).toBe(0);
    expect((await metrics.watchersDropped.get()).values[0]?.value).toBe(1);
  });

  it('refuses watchers beyond maxWatchers with a clear message', () => {
    const { hub } = makeHub({ maxWatchers: 2 });
    hub.add(new FakeSink(10), []);
    hub.add(new FakeSink(10), []);
    expect(() => hub.add(new FakeSink(10), [])).toThrow(/at most 2/);
  });
});
