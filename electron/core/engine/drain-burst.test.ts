// A burst of changed pulls leaves drain() in slices of MAX_CHANGED_PER_DRAIN (engine.ts, memory and
// message size): every pull goes out, once, in the order the slices allow.
import { describe, expect, it } from 'vitest';
import { createEngine, defaultEngineConfig } from './index.ts';
import { MAX_CHANGED_PER_DRAIN } from './engine.ts';

describe('a burst of new pulls', () => {
  it('goes out over several drains, each at most MAX_CHANGED_PER_DRAIN, every pull exactly once', () => {
    const engine = createEngine(defaultEngineConfig('burst'));
    const count = 2 * MAX_CHANGED_PER_DRAIN + 500;
    const at = 1_790_000_000_000;
    for (let i = 0; i < count; i++) {
      const pod = { namespace: 'default', name: `app-${i}`, uid: `pod-${i}` };
      engine.apply({ type: 'kube.event', at, uid: `ev-${i}`, count: 1, node: 'node-a', reason: 'Pulling', message: `Pulling image "registry.example/app-${i}:v1"`, pod });
    }
    const sizes: number[] = [];
    const seen = new Set<string>();
    for (let drain = 0; drain < 4; drain++) {
      const { upserts } = engine.drain();
      sizes.push(upserts.length);
      for (const view of upserts) {
        expect(seen.has(view.id)).toBe(false);
        seen.add(view.id);
      }
    }
    expect(sizes).toEqual([MAX_CHANGED_PER_DRAIN, MAX_CHANGED_PER_DRAIN, 500, 0]);
    expect(seen.size).toBe(count);
    expect(engine.pulls()).toHaveLength(count);
  });
});
