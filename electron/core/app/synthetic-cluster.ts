// A synthetic cluster for the UI tests and the UI benchmark: engine inputs shaped like what the
// agent and the kube layer produce for a real pull (kubelet Pulling, the manifest read by the
// agent, ingests advancing in containerd's 1 MiB steps, commits, the image record, kubelet Pulled),
// plus a stalled pull and a failed one. Deterministic for a given seed. It is not a demo: the demo
// replays real lab recordings (fixtures/recordings).
import type { EngineInput, PodRef } from '../engine/types.ts';

const MiB = 1_048_576;
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const CONFIG = 'application/vnd.oci.image.config.v1+json';

export interface SyntheticOptions {
  nodes: number;
  /** Concurrent pulls per node. */
  pullsPerNode: number;
  /** Wall length of the timeline. */
  durationMs: number;
  /** Per-layer transfer rate. */
  bytesPerSecond?: number;
  /** Agent poll interval (containerd ListStatuses). */
  pollMs?: number;
  startAt?: number;
  seed?: number;
}

interface Blob {
  digest: string;
  size: number;
  mediaType: string;
}

interface PlannedPull {
  node: string;
  image: string;
  source: string;
  manifest: string;
  config: Blob;
  layers: Blob[];
  pod: PodRef;
  workload: string;
  /** This pull's share of the link: pulls on a real cluster do not all move at the same speed. */
  speed: number;
  /** `stall`: one layer freezes half way; `fail`: the registry refuses (kubelet Failed, no bytes). */
  fate: 'ok' | 'stall' | 'fail';
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4_294_967_296;
  };
}

const hex = (random: () => number): string => Array.from({ length: 64 }, () => Math.floor(random() * 16).toString(16)).join('');

const apps = ['api', 'web', 'worker', 'billing', 'search', 'gateway', 'auth', 'ledger', 'media', 'feed'];

export function syntheticCluster(options: SyntheticOptions): EngineInput[] {
  const random = rng(options.seed ?? 7);
  const start = options.startAt ?? 1_790_000_000_000;
  const poll = options.pollMs ?? 500;
  const rate = options.bytesPerSecond ?? 4 * MiB;
  const inputs: EngineInput[] = [];
  const pulls: PlannedPull[] = [];
  let eventSeq = 0;

  for (let n = 0; n < options.nodes; n++) {
    const node = `node-${String(n + 1).padStart(3, '0')}`;
    inputs.push({ type: 'agent.connected', at: start, node, agentVersion: '0.1.0', containerdVersion: '2.1.4' });
    for (let p = 0; p < options.pullsPerNode; p++) {
      const app = apps[(n * options.pullsPerNode + p) % apps.length] ?? 'app';
      const tag = `v1.${Math.floor(random() * 9)}.${Math.floor(random() * 20)}`;
      const layers = Array.from({ length: 2 + Math.floor(random() * 4) }, () => ({ digest: `sha256:${hex(random)}`, size: Math.round((8 + random() * 90) * MiB), mediaType: LAYER }));
      const fate = n === 0 && p === 0 ? 'stall' : n === 1 % Math.max(1, options.nodes) && p === options.pullsPerNode - 1 ? 'fail' : 'ok';
      const name = `${app}-${hex(random).slice(0, 5)}`;
      pulls.push({
        node,
        image: `registry.example.com/shop/${app}:${tag}`,
        source: `registry.example.com/shop/${app}`,
        manifest: `sha256:${hex(random)}`,
        config: { digest: `sha256:${hex(random)}`, size: 4_000 + Math.floor(random() * 4_000), mediaType: CONFIG },
        layers,
        pod: { namespace: n % 3 === 0 ? 'payments' : 'shop', name, uid: `uid-${name}` },
        workload: app,
        speed: 0.25 + random() * 1.25,
        fate,
      });
    }
  }

  for (const pull of pulls) {
    const container = pull.workload;
    inputs.push({
      type: 'kube.pod',
      at: start,
      pod: pull.pod,
      node: pull.node,
      workload: { kind: 'Deployment', name: pull.workload },
      deleted: false,
      containers: [{ name: container, image: pull.image, waitingReason: 'ContainerCreating', started: false }],
    });
    inputs.push(kubelet(pull, 'Pulling', `Pulling image "${pull.image}"`, start, ++eventSeq));
    if (pull.fate === 'fail') {
      const message = `Failed to pull image "${pull.image}": failed to resolve reference "${pull.image}": unexpected status from HEAD request: 401 Unauthorized`;
      inputs.push(kubelet(pull, 'Failed', message, start + 1_500, ++eventSeq));
      continue;
    }
    inputs.push({
      type: 'manifest.seen',
      at: start + 300,
      node: pull.node,
      digest: pull.manifest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      sources: [pull.source],
      config: { ...pull.config, present: false },
      layers: pull.layers.map((l) => ({ ...l, present: false })),
    });
  }

  // Transfers: every blob of every pull advances at `rate`, reported in whole MiB per poll.
  interface Flow { pull: PlannedPull; blob: Blob; offset: number; committed: boolean; frozenAt?: number }
  const flows: Flow[] = pulls.filter((p) => p.fate !== 'fail').flatMap((pull) => [pull.config, ...pull.layers].map((blob) => ({ pull, blob, offset: 0, committed: false })));
  // Blobs still in flight per pull: a pull is finished when its count reaches zero.
  const remaining = new Map<PlannedPull, number>();
  for (const flow of flows) remaining.set(flow.pull, (remaining.get(flow.pull) ?? 0) + 1);
  const finished: PlannedPull[] = [];
  for (let t = start + 500; t <= start + options.durationMs; t += poll) {
    const byNode = new Map<string, EngineInput & { type: 'ingests.observed' }>();
    for (const flow of flows) {
      if (flow.committed) continue;
      const elapsed = (t - start - 500) / 1000;
      let bytes = Math.min(flow.blob.size, elapsed * rate * flow.pull.speed);
      if (flow.pull.fate === 'stall' && flow.blob === flow.pull.layers[0]) bytes = Math.min(bytes, flow.blob.size / 2);
      if (bytes >= flow.blob.size) {
        flow.committed = true;
        const left = (remaining.get(flow.pull) ?? 1) - 1;
        remaining.set(flow.pull, left);
        if (left === 0) finished.push(flow.pull);
        const kind = flow.blob.mediaType === CONFIG ? 'config' : 'layer';
        inputs.push({ type: 'ingest.gone', at: t, node: flow.pull.node, ref: `${kind}-${flow.blob.digest}`, digest: flow.blob.digest, outcome: 'committed' });
        continue;
      }
      const offset = Math.floor(bytes / MiB) * MiB;
      if (offset === flow.offset && flow.offset > 0) continue;
      flow.offset = offset;
      const kind = flow.blob.mediaType === CONFIG ? 'config' : 'layer';
      const observed = byNode.get(flow.pull.node) ?? { type: 'ingests.observed', at: t, node: flow.pull.node, ingests: [] };
      observed.ingests.push({ ref: `${kind}-${flow.blob.digest}`, kind, digest: flow.blob.digest, offset, total: flow.blob.size, startedAt: start + 500, updatedAt: t });
      byNode.set(flow.pull.node, observed);
    }
    for (const observed of byNode.values()) inputs.push(observed);
    for (const pull of finished.splice(0)) {
      inputs.push({ type: 'image.upserted', at: t + 200, node: pull.node, name: pull.image, targetDigest: pull.manifest });
      const size = [pull.config, ...pull.layers].reduce((s, b) => s + b.size, 0);
      const took = ((t - start) / 1000).toFixed(3);
      inputs.push(kubelet(pull, 'Pulled', `Successfully pulled image "${pull.image}" in ${took}s (${took}s including waiting). Image size: ${size} bytes.`, t + 250, ++eventSeq));
    }
  }
  return inputs.sort((a, b) => a.at - b.at);
}

function kubelet(pull: PlannedPull, reason: 'Pulling' | 'Pulled' | 'Failed', message: string, at: number, seq: number): EngineInput {
  return { type: 'kube.event', at, uid: `event-${seq}`, count: 1, node: pull.node, reason, message, pod: pull.pod, container: pull.workload };
}
