// Bad input never throws, never corrupts other pulls: it is dropped or clamped, and counted.
import { describe, expect, it } from 'vitest';
import type { EngineInput } from './types.ts';
import { ALPHA, BETA, BETA_10M, BIG, BIG_50M, MiB } from './scenarios/lab-images.ts';
import { Lab, ref } from './scenarios/timeline.ts';

/** A healthy pull of beta running beside whatever bad input a test throws at the engine. */
function healthyLab(): Lab {
  const lab = new Lab().connect();
  lab.pulling(BETA).manifest(BETA).fetch(BETA_10M, 1e6).run(3_000);
  return lab;
}

function expectBetaIntact(lab: Lab): void {
  lab.run(1_000);
  const beta = lab.pull(BETA);
  expect(beta.state).toBe('downloading');
  expect(beta.rate).toBeGreaterThan(0.9e6);
  expect(beta.rate).toBeLessThan(1.1e6);
  expect(beta.bytes.done).toBeGreaterThanOrEqual(3 * MiB);
}

const ingest = (lab: Lab, fields: Record<string, unknown>) =>
  lab.send({
    type: 'ingests.observed', at: lab.now, node: 'node-a',
    ingests: [{ ref: ref(BIG_50M), kind: 'layer', digest: BIG_50M.digest, offset: MiB, total: BIG_50M.size, startedAt: lab.now - 1_000, updatedAt: lab.now, ...fields }],
  } as unknown as EngineInput);

describe('bad input is rejected or clamped with a counted warning', () => {
  it('drops malformed inputs and unknown input types without throwing', () => {
    const lab = healthyLab();
    const garbage: unknown[] = [null, 42, 'text', {}, { type: 'nope', at: lab.now }, { type: 'tick' }, { type: 'tick', at: Number.NaN },
      { type: 'tick', at: -5 }, { type: 'ingests.observed', at: lab.now }, { type: 'manifest.seen', at: lab.now, node: 'node-a', digest: 'x' },
      { type: 'kube.event', at: lab.now, uid: 'u', count: 1, node: 'node-a', reason: 'Pulling', message: 'x' }, { type: 'kube.pod', at: lab.now }];
    for (const input of garbage) expect(() => lab.send(input as EngineInput)).not.toThrow();
    expect(lab.engine.warnings().byKind).toMatchObject({ 'malformed-input': 8, 'unknown-input-type': 1, 'bad-time': 3 });
    expectBetaIntact(lab);
  });

  it('clamps negative offsets and offsets beyond total; drops NaN ingests; maps unknown kinds from the ref', () => {
    const lab = healthyLab();
    lab.pulling(BIG).manifest(BIG);
    ingest(lab, { offset: -MiB });
    ingest(lab, { offset: 2 * BIG_50M.size });
    ingest(lab, { offset: Number.NaN });
    ingest(lab, { total: -1 });
    ingest(lab, { kind: 'blob' });
    ingest(lab, { digest: 7 });
    expect(lab.engine.warnings().byKind).toMatchObject({
      'negative-offset': 1, 'offset-beyond-total': 1, 'malformed-ingest': 2, 'bad-total': 1, 'unknown-ingest-kind': 1,
    });
    const big = lab.pull(BIG);
    expect(big.bytes.done).toBeLessThanOrEqual(big.bytes.total);
    expect(big.layers.find((l) => l.digest === BIG_50M.digest)?.done).toBe(BIG_50M.size);
    expectBetaIntact(lab);
  });

  it('clamps a clock going backwards to the engine clock and counts it', () => {
    const lab = healthyLab();
    const before = lab.pull(BETA).bytes.done;
    lab.send({ type: 'tick', at: lab.now - 60_000 });
    lab.kubelet('Pulling', `Pulling image "${ALPHA.image}"`);
    lab.send({ type: 'kube.event', at: lab.now - 3_600_000, uid: 'old', count: 1, node: 'node-a', reason: 'Pulling', message: `Pulling image "${BIG.image}"`, pod: { namespace: 'a', name: 'b', uid: 'c' } });
    expect(lab.engine.warnings().byKind['clock-backwards']).toBe(2);
    expect(lab.pull(BIG).phases.queuedAt).toBe(lab.now);
    expect(lab.pull(BETA).bytes.done).toBeGreaterThanOrEqual(before);
    expectBetaIntact(lab);
  });

  it('counts events it cannot use and ignores ingest reports after a commit', () => {
    const lab = healthyLab();
    lab.kubelet('Pulling', 'Pulling image with no quotes');
    lab.kubelet('Failed', 'Error: ErrImagePull', { pod: { namespace: 'x', name: 'unknown', uid: 'nobody' } });
    lab.send({ type: 'kube.event', at: lab.now, uid: 'z', count: 1, node: 'node-a', reason: 'Evicted', message: 'x', pod: { namespace: 'a', name: 'b', uid: 'c' } } as unknown as EngineInput);
    lab.send({ type: 'image.upserted', at: lab.now, node: 'node-a', name: 'not an image name' });
    lab.pulling(BIG).manifest(BIG).fetch(BIG.config, 1e6).run(500);
    lab.send({ type: 'ingests.observed', at: lab.now, node: 'node-a', ingests: [{ ref: ref(BIG.config), kind: 'config', digest: BIG.config.digest, offset: 0, total: BIG.config.size, startedAt: lab.now, updatedAt: lab.now }] });
    expect(lab.engine.warnings().byKind).toMatchObject({ 'event-without-image': 2, 'unknown-event-reason': 1, 'bad-image-name': 1, 'ingest-after-commit': 1 });
    expect(lab.engine.warnings().total).toBe(5);
    expectBetaIntact(lab);
  });
});
