import { describe, expect, it } from 'vitest';
import { ALPHA, BASE_20M, BETA, BETA_10M, TINY_META } from './lab-images.ts';
import { Lab } from './timeline.ts';

describe('5. totals and ETA come from manifest sizes, layers not started included; cached bytes apart', () => {
  it('totals every blob of the manifest before most have started, and derives the ETA from it', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).manifest(ALPHA).fetch(BASE_20M, 2e6).run(5_000);
    const alpha = lab.pull(ALPHA);
    const total = ALPHA.config.size + ALPHA.layers.reduce((sum, l) => sum + l.size, 0);
    expect(alpha.bytes).toMatchObject({ total, cached: 0, totalKnown: true });
    expect(alpha.etaSeconds).toBeCloseTo((total - alpha.bytes.done) / alpha.rate, 6);
    expect(alpha.etaSeconds).toBeGreaterThan(20);
  });

  it('counts a layer fetched between two agent polls (never live) once its commit is reported', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).manifest(ALPHA).fetch(BASE_20M, 2e6).run(2_000);
    const before = lab.pull(ALPHA).bytes.done;
    const unseen = ALPHA.layers.find((l) => l.digest !== BASE_20M.digest);
    if (unseen === undefined) throw new Error('no second layer');
    expect(lab.pull(ALPHA).layers.find((l) => l.digest === unseen.digest)?.state).toBe('pending');
    lab.gone(unseen, 'committed');
    const after = lab.pull(ALPHA);
    expect(after.layers.find((l) => l.digest === unseen.digest)).toMatchObject({ state: 'done', done: unseen.size });
    expect(after.bytes.done).toBe(before + unseen.size);
    // An aborted report for a blob that was never live changes nothing.
    const other = ALPHA.layers.find((l) => l.digest !== BASE_20M.digest && l.digest !== unseen.digest);
    if (other !== undefined) {
      lab.gone(other, 'aborted');
      expect(lab.pull(ALPHA)).toMatchObject({ state: 'downloading', bytes: { done: after.bytes.done } });
    }
  });

  it('reports layers already on the node as cached, outside total and rate', () => {
    const lab = new Lab().connect();
    lab.pulling(BETA).manifest(BETA, { present: [BASE_20M.digest, TINY_META.digest] });
    lab.fetch(BETA.config, 1e6).fetch(BETA_10M, 1e6).run(4_000);
    const beta = lab.pull(BETA);
    expect(beta.bytes.cached).toBe(BASE_20M.size + TINY_META.size);
    expect(beta.bytes.total).toBe(BETA.config.size + BETA_10M.size + (BETA.layers[3]?.size ?? 0));
    expect(beta.layers.filter((l) => l.state === 'cached').map((l) => l.digest)).toEqual([BASE_20M.digest, TINY_META.digest]);
    expect(beta.rate).toBeGreaterThan(0.95e6);
    expect(beta.rate).toBeLessThan(1.05e6);
  });

  it('has no ETA before the manifest is known (total is then a lower bound)', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA);
    expect(lab.pull(ALPHA)).toMatchObject({ etaSeconds: null, bytes: { totalKnown: false, total: 0 } });
  });
});
