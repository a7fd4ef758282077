import { describe, expect, it } from 'vitest';
import { BIG, BIG_15M, BIG_30M, BIG_50M, MiB } from './lab-images.ts';
import { Lab, ref } from './timeline.ts';

describe('8. an agent disconnect marks its node\'s pulls unknown, not finished and not lost; reconnect resumes them', () => {
  it('goes unknown on disconnect and back to downloading after the reconnect snapshot', () => {
    const lab = new Lab().connect();
    lab.pulling(BIG).manifest(BIG).fetch(BIG_50M, 2e6).fetch(BIG_30M, 2e6).fetch(BIG_15M, 2e6).run(4_000);
    lab.drain();
    lab.send({ type: 'agent.disconnected', at: lab.now, node: 'node-a', reason: 'port-forward closed' });
    const during = lab.pull(BIG);
    expect(during).toMatchObject({ state: 'unknown', rate: 0 });
    expect(during.bytes.done).toBeGreaterThan(0);
    expect(lab.engine.nodes()).toMatchObject([{ name: 'node-a', agent: 'disconnected', activePulls: 1 }]);
    expect(lab.drain().finished).toEqual([]);

    // Reconnect: the snapshot lists 50m and 30m; 15m is not listed any more (gone meanwhile).
    lab.now += 5_000;
    lab.connect();
    lab.send({
      type: 'agent.snapshot', at: lab.now, node: 'node-a',
      ingests: [BIG_50M, BIG_30M].map((blob) => ({ ref: ref(blob), kind: 'layer' as const, digest: blob.digest, offset: 20 * MiB, total: blob.size, startedAt: lab.now - 9_000, updatedAt: lab.now - 100 })),
    });
    lab.send({
      type: 'ingests.observed', at: lab.now + 500, node: 'node-a',
      ingests: [{ ref: ref(BIG_50M), kind: 'layer', digest: BIG_50M.digest, offset: 21 * MiB, total: BIG_50M.size, startedAt: lab.now - 9_000, updatedAt: lab.now + 400 }],
    });
    const after = lab.pull(BIG);
    expect(after.state).toBe('downloading');
    expect(after.rate).toBeGreaterThan(0);
    expect(after.layers.find((l) => l.digest === BIG_15M.digest)?.state).toBe('pending');
    expect(after.layers.find((l) => l.digest === BIG_50M.digest)?.done).toBe(21 * MiB);
    expect(lab.engine.nodes()[0]?.agent).toBe('connected');
  });

  it('abandons the pulls of a removed node (recorded once) instead of leaving them unknown', () => {
    const lab = new Lab().connect();
    lab.pulling(BIG).manifest(BIG).fetch(BIG_50M, 2e6).run(2_000);
    lab.send({ type: 'agent.disconnected', at: lab.now, node: 'node-a', reason: 'gone' });
    lab.send({ type: 'kube.node.removed', at: lab.now, node: 'node-a' });
    expect(lab.pull(BIG)).toMatchObject({ state: 'failed', error: { reason: 'node-gone' } });
    expect(lab.drain().finished).toMatchObject([{ state: 'abandoned' }]);
  });
});
