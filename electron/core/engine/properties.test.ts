// Property tests over random ingest sequences on the lab's images: retries (offset drops), stalls,
// commits, aborts, duplicate and out-of-step updated_at values, concurrent pulls sharing a layer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALPHA, BETA, BIG, MiB, type LabBlob } from './scenarios/lab-images.ts';
import { Lab, ref } from './scenarios/timeline.ts';

const IMAGES = [ALPHA, BETA, BIG];
const BLOBS: LabBlob[] = [...new Map(IMAGES.flatMap((i) => [i.config, ...i.layers]).map((b) => [b.digest, b])).values()];

type Op =
  | { kind: 'progress'; blob: number; steps: number; dt: number; stampLag: number }
  | { kind: 'gone'; blob: number; outcome: 'committed' | 'aborted' | 'unknown'; dt: number }
  | { kind: 'tick'; dt: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('progress' as const), blob: fc.nat(BLOBS.length - 1), steps: fc.integer({ min: -4, max: 4 }), dt: fc.nat(2_000), stampLag: fc.nat(1_500) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gone' as const), blob: fc.nat(BLOBS.length - 1), outcome: fc.constantFrom('committed' as const, 'aborted' as const, 'unknown' as const), dt: fc.nat(500) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), dt: fc.nat(12_000) }) },
);

function run(ops: Op[], check: (lab: Lab, movedAt: Map<string, number>) => void): void {
  const lab = new Lab().connect();
  for (const image of IMAGES) lab.pulling(image).manifest(image);
  const offsets = new Map<string, number>();
  const started = new Map<string, number>();
  const movedAt = new Map<string, number>();
  for (const step of ops) {
    lab.now += step.dt;
    if (step.kind === 'tick') lab.send({ type: 'tick', at: lab.now });
    if (step.kind === 'gone') {
      const blob = BLOBS[step.blob] as LabBlob;
      lab.gone(blob, step.outcome);
      offsets.delete(blob.digest);
      started.delete(blob.digest);
      // The ingest is gone: a later one for the same digest has moved only once it climbs (found
      // by fast-check: progress, abort, a new ingest at offset 0 within the window).
      movedAt.delete(blob.digest);
    }
    if (step.kind === 'progress') {
      const blob = BLOBS[step.blob] as LabBlob;
      const before = offsets.get(blob.digest) ?? 0;
      const offset = Math.max(0, Math.min(Math.floor(blob.size / MiB) * MiB, before + step.steps * MiB));
      if (!started.has(blob.digest)) started.set(blob.digest, lab.now);
      if (offset > before) movedAt.set(blob.digest, lab.now);
      offsets.set(blob.digest, offset);
      lab.send({
        type: 'ingests.observed', at: lab.now, node: 'node-a',
        ingests: [{ ref: ref(blob), kind: 'layer', digest: blob.digest, offset, total: blob.size, startedAt: started.get(blob.digest) ?? lab.now, updatedAt: lab.now - step.stampLag }],
      });
    }
    check(lab, movedAt);
  }
}

describe('engine properties over random ingest sequences', () => {
  it('bytes never decrease and rates are never negative', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const seen = new Map<string, number>();
        run(ops, (lab) => {
          for (const pull of lab.pulls()) {
            expect(pull.rate).toBeGreaterThanOrEqual(0);
            expect(Number.isFinite(pull.rate)).toBe(true);
            for (const layer of pull.layers) expect(layer.rate).toBeGreaterThanOrEqual(0);
            expect(pull.bytes.done).toBeGreaterThanOrEqual(seen.get(pull.id) ?? 0);
            expect(pull.bytes.done).toBeLessThanOrEqual(pull.bytes.total);
            seen.set(pull.id, pull.bytes.done);
          }
          for (const node of lab.engine.nodes()) expect(node.rate).toBeGreaterThanOrEqual(0);
        });
      }),
      { numRuns: 150 },
    );
  });

  it("a pull's bytes and rate are the sums of its layers'", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        run(ops, (lab) => {
          for (const pull of lab.pulls()) {
            const own = pull.layers.filter((l) => l.state !== 'cached');
            expect(pull.bytes.done).toBe(own.reduce((sum, l) => sum + l.done, 0));
            expect(pull.bytes.total).toBe(own.reduce((sum, l) => sum + l.size, 0));
            expect(pull.rate).toBeCloseTo(own.reduce((sum, l) => sum + l.rate, 0), 6);
          }
        });
      }),
      { numRuns: 150 },
    );
  });

  it('a pull has a rate above 0 whenever one of its live ingests moved within the window', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        run(ops, (lab, movedAt) => {
          for (const pull of lab.pulls()) {
            const moving = pull.layers.some((l) => l.state === 'downloading' && lab.now - (movedAt.get(l.digest) ?? -Infinity) < 5_000);
            if (moving) expect(pull.rate).toBeGreaterThan(0);
          }
        });
      }),
      { numRuns: 150 },
    );
  });
});
