// Each listed ingest is first looked for at its position in the node's previous listing
// (agent-inputs.ts, applyIngests). Whatever the order does, and whatever happened to the blob the
// guess points at, every ingest must land on its node's current blob for that digest.
import { describe, expect, it } from 'vitest';
import { createEngine, defaultEngineConfig } from './index.ts';
import type { EngineInput, IngestStatus } from './types.ts';
import { pullsWithLayers } from './scenarios/timeline.ts';

const MiB = 1_048_576;
const T0 = 1_790_000_000_000;
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const A = digest(1);
const B = digest(2);
const layer = (d: string, present = false) => ({ digest: d, size: 8 * MiB, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', present });
const ingest = (d: string, offset: number, at: number): IngestStatus => ({ ref: `layer-${d}`, kind: 'layer', digest: d, offset, total: 8 * MiB, startedAt: T0, updatedAt: at });
const manifest = (node: string, id: number, layers: ReturnType<typeof layer>[], at: number): EngineInput => ({
  type: 'manifest.seen', at, node, digest: digest(100 + id), mediaType: 'application/vnd.oci.image.manifest.v1+json', sources: [`registry.example/app-${id}`], layers,
});

function layerDone(engine: ReturnType<typeof createEngine>, manifestId: number, d: string): number | undefined {
  return pullsWithLayers(engine).find((p) => p.digest === digest(100 + manifestId))?.layers.find((l) => l.digest === d)?.done;
}

describe('ingests guessed from the previous listing', () => {
  it('land on the right blob when the listing changes order', () => {
    const engine = createEngine(defaultEngineConfig('order'));
    engine.apply({ type: 'agent.connected', at: T0, node: 'n', agentVersion: '1', containerdVersion: '1.7' });
    engine.apply(manifest('n', 1, [layer(A), layer(B)], T0));
    engine.apply({ type: 'ingests.observed', at: T0 + 500, node: 'n', ingests: [ingest(A, 1 * MiB, T0 + 400), ingest(B, 2 * MiB, T0 + 400)] });
    engine.apply({ type: 'ingests.observed', at: T0 + 1_000, node: 'n', ingests: [ingest(B, 5 * MiB, T0 + 900), ingest(A, 3 * MiB, T0 + 900)] });
    expect([layerDone(engine, 1, A), layerDone(engine, 1, B)]).toEqual([3 * MiB, 5 * MiB]);
  });

  it('do not land on a blob that left the node, even when the same digest is listed at the same place', () => {
    const engine = createEngine(defaultEngineConfig('order'));
    engine.apply({ type: 'agent.connected', at: T0, node: 'n', agentVersion: '1', containerdVersion: '1.7' });
    engine.apply({ type: 'agent.connected', at: T0, node: 'm', agentVersion: '1', containerdVersion: '1.7' });
    // Pull 1 fetches A on n, commits it; the content store later deletes it (garbage collection).
    engine.apply(manifest('n', 1, [layer(A)], T0));
    engine.apply({ type: 'ingests.observed', at: T0 + 500, node: 'n', ingests: [ingest(A, 4 * MiB, T0 + 400)] });
    engine.apply({ type: 'ingest.gone', at: T0 + 1_000, node: 'n', ref: `layer-${A}`, digest: A, outcome: 'committed' });
    engine.apply({ type: 'content.deleted', at: T0 + 2_000, node: 'n', digest: A });
    // Meanwhile node m pulls A too: a released blob may be reused there, with the same digest.
    engine.apply(manifest('m', 3, [layer(A)], T0 + 2_000));
    engine.apply({ type: 'ingests.observed', at: T0 + 2_500, node: 'm', ingests: [ingest(A, 1 * MiB, T0 + 2_400)] });
    // Pull 2 on n needs A again: a new blob, listed where the old one was.
    engine.apply(manifest('n', 2, [layer(A)], T0 + 3_000));
    engine.apply({ type: 'ingests.observed', at: T0 + 3_500, node: 'n', ingests: [ingest(A, 2 * MiB, T0 + 3_400)] });
    expect(layerDone(engine, 2, A)).toBe(2 * MiB);
    expect(layerDone(engine, 1, A)).toBe(8 * MiB);
    expect(layerDone(engine, 3, A)).toBe(1 * MiB);
    expect(engine.warnings()).toEqual({ total: 0, byKind: {} });
  });
});
