// 24 hours of simulated churn: many nodes, ever-new images and digests, pods that wait and start,
// failures and retries, agent-only pulls. The engine's retained structures must stay bounded: the
// counts after 6 h and after 24 h are the same order, and below fixed limits; and every hour each
// pull in the view still shows its own layers (retired blobs are reused).
import { describe, expect, it } from 'vitest';
import { createEngine, defaultEngineConfig, type EngineStats } from './index.ts';
import type { EngineInput, PullDetailView } from './types.ts';
import { pullsWithLayers } from './scenarios/timeline.ts';

const NODES = 12;
const HOUR = 3_600_000;
const MiB = 1_048_576;

function digest(n: number): string {
  return `sha256:${n.toString(16).padStart(64, '0')}`;
}

/** Retired pulls' blobs are reused for new ones (model.ts, releaseBlob): every pull in the view
 * must still show exactly its own layers, as its manifest (digest id × 8) listed them. */
function layersOwnedByTheirPull(pulls: readonly PullDetailView[]): void {
  for (const pull of pulls) {
    if (pull.digest === undefined) continue;
    const id = Number.parseInt(pull.digest.slice('sha256:'.length), 16) / 8;
    const expected = [1, 2, 3].map((k) => ({ digest: digest(id * 8 + k), size: 3 * MiB + k }));
    expect(pull.layers.map((layer) => ({ digest: layer.digest, size: layer.size }))).toEqual(expected);
    for (const layer of pull.layers) expect(layer.done).toBeLessThanOrEqual(layer.size);
  }
}

describe('24 h of simulated churn keeps memory bounded', () => {
  it('retains a bounded number of pulls, blobs, pods, series and keys', () => {
    const engine = createEngine(defaultEngineConfig('churn'));
    let now = 1_790_000_000_000;
    let serial = 0;
    // Each round's inputs are collected, then applied in time order (nodes interleave).
    let round: EngineInput[] = [];
    const apply = (input: EngineInput) => round.push(input);
    const samples: { hour: number; stats: EngineStats }[] = [];
    for (let n = 0; n < NODES; n++) engine.apply({ type: 'agent.connected', at: now, node: `node-${n}`, agentVersion: '1', containerdVersion: '1.7' });

    // Every 20 s each node pulls a new image: 3 layers over 6 s, then image record and Pulled.
    while (now < 1_790_000_000_000 + 24 * HOUR) {
      for (let n = 0; n < NODES; n++) {
        const node = `node-${n}`;
        const id = ++serial;
        const image = `127.0.0.1:5001/team-${id % 997}/app:v${id}`;
        const uid = `pod-${id}`;
        const pod = { namespace: 'default', name: `app-${id}`, uid };
        const fails = id % 11 === 0;
        const agentOnly = id % 7 === 0;
        const layers = [1, 2, 3].map((k) => ({ digest: digest(id * 8 + k), size: 3 * MiB + k, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', present: false }));
        const start = now + n * 100;
        if (!agentOnly) {
          apply({ type: 'kube.pod', at: start, pod, node, workload: { kind: 'Deployment', name: `app-${id % 50}` }, deleted: false, containers: [{ name: 'app', image, started: false, waitingReason: 'ContainerCreating' }] });
          apply({ type: 'kube.event', at: start, uid: `ev-${id}`, count: 1, node, reason: 'Pulling', message: `Pulling image "${image}"`, pod });
        }
        apply({ type: 'manifest.seen', at: start + 200, node, digest: digest(id * 8), mediaType: 'application/vnd.oci.image.manifest.v1+json', sources: [`127.0.0.1/team-${id % 997}/app`], layers });
        for (let s = 1; s <= 6; s++) {
          const at = start + 200 + s * 1_000;
          apply({ type: 'ingests.observed', at, node, ingests: layers.map((l) => ({ ref: `layer-${l.digest}`, kind: 'layer' as const, digest: l.digest, offset: Math.min(s, 3) * MiB - (s >= 3 ? MiB : 0), total: l.size, startedAt: start + 200, updatedAt: at })) });
        }
        const end = start + 7_000;
        if (fails) {
          for (const l of layers) apply({ type: 'ingest.gone', at: end, node, ref: `layer-${l.digest}`, digest: l.digest, outcome: 'aborted' });
          if (!agentOnly) {
            apply({ type: 'kube.event', at: end, uid: `ev-f-${id}`, count: 1, node, reason: 'Failed', message: `Failed to pull image "${image}": 401 Unauthorized`, pod });
            apply({ type: 'kube.pod', at: end + 500, pod, node, deleted: true, containers: [] });
          }
          continue;
        }
        for (const l of layers) apply({ type: 'ingest.gone', at: end, node, ref: `layer-${l.digest}`, digest: l.digest, outcome: 'committed' });
        apply({ type: 'image.upserted', at: end + 100, node, name: image, targetDigest: digest(id * 8) });
        if (!agentOnly) {
          apply({ type: 'kube.event', at: end + 200, uid: `ev-p-${id}`, count: 1, node, reason: 'Pulled', message: `Successfully pulled image "${image}" in 7.1s (7.1s including waiting). Image size: 9437190 bytes.`, pod });
          apply({ type: 'kube.pod', at: end + 1_000, pod, node, deleted: false, containers: [{ name: 'app', image, started: true }] });
        }
      }
      now += 20_000;
      apply({ type: 'tick', at: now });
      for (const input of round.sort((a, b) => a.at - b.at)) engine.apply(input);
      round = [];
      engine.drain();
      const hour = Math.floor((now - 1_790_000_000_000) / HOUR);
      if (samples[samples.length - 1]?.hour !== hour) {
        samples.push({ hour, stats: engine.stats() });
        layersOwnedByTheirPull(pullsWithLayers(engine));
      }
    }

    const at6 = samples.find((s) => s.hour === 6)?.stats;
    const last = samples[samples.length - 1]?.stats;
    expect(serial).toBeGreaterThan(50_000);
    expect(at6).toBeDefined();
    expect(last).toBeDefined();
    if (at6 === undefined || last === undefined) return;
    // 5 min retention × 12 nodes × one pull per 20 s = 180 pulls, each with 3 blobs.
    expect(last.pulls).toBeLessThanOrEqual(200);
    expect(last.blobs).toBeLessThanOrEqual(3 * 200);
    expect(last.pods).toBeLessThanOrEqual(NODES * 2);
    expect(last.seriesRings).toBeLessThanOrEqual(NODES);
    expect(last.pendingRetire).toBeLessThanOrEqual(200);
    expect(last.dedupeKeys).toBeLessThanOrEqual(50_000);
    expect(last.attemptKeys).toBeLessThanOrEqual(100_000);
    expect(last.pulls).toBeLessThanOrEqual(at6.pulls * 1.2);
    expect(last.blobs).toBeLessThanOrEqual(at6.blobs * 1.2);
    expect(engine.warnings()).toEqual({ total: 0, byKind: {} });
    expect(engine.series().cluster.length).toBeLessThanOrEqual(600);
  }, 120_000);
});
