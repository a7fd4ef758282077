// Deterministic, lab-like history records for tests and benchmarks (no Math.random: a seed gives
// the same records on every machine, so a failure can be replayed).
import type { FinishedPull, PodWaiting } from '../engine/types.ts';
import { toHistoryRecord, type HistoryRecord } from './record.ts';
import { MAX_POINTS, type PullThroughput } from './throughput.ts';

export const LAB_IMAGES = [
  { image: '127.0.0.1:5001/lab/alpha:v1', registry: '127.0.0.1:5001', repository: 'lab/alpha' },
  { image: '127.0.0.1:5001/lab/beta:v2', registry: '127.0.0.1:5001', repository: 'lab/beta' },
  { image: 'docker.io/library/nginx:1.25', registry: 'docker.io', repository: 'library/nginx' },
  { image: 'ghcr.io/acme/api-server:2024.06', registry: 'ghcr.io', repository: 'acme/api-server' },
  { image: 'registry.example.com/équipe/café-日本語:v1', registry: 'registry.example.com', repository: 'équipe/café-日本語' },
] as const;

/** A small linear congruential generator: deterministic and plenty for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export interface GenerateOptions {
  seed?: number;
  clusters?: readonly string[];
  nodes?: number;
  /** First finish time; each record finishes `stepMs` after the previous one. */
  startAt?: number;
  stepMs?: number;
  /** Give downloaded pulls a throughput series, as the app stores them (benchmarks use this so
   * that exports decode records of the real size). */
  throughput?: boolean;
}

export function* generatePulls(count: number, options: GenerateOptions = {}): Generator<FinishedPull> {
  const random = seededRandom(options.seed ?? 7);
  const clusters = options.clusters ?? ['kind-lab'];
  const nodes = options.nodes ?? 20;
  let at = options.startAt ?? Date.UTC(2026, 10, 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  for (let i = 0; i < count; i++) {
    at += options.stepMs ?? 1000;
    const img = pick(LAB_IMAGES);
    const roll = random();
    const state = roll < 0.08 ? 'failed' : roll < 0.3 ? 'cached' : roll < 0.32 ? 'abandoned' : 'done';
    const bytesTotal = Math.floor(5e6 + random() * 5e8);
    const downloadMs = state === 'cached' ? 0 : Math.floor(500 + random() * 60_000);
    const waitMs = Math.floor(random() * 5000);
    const unpackMs = state === 'done' ? Math.floor(100 + random() * 3000) : 0;
    const namespace = pick(['default', 'payments', 'kube-system', 'données']);
    const pods: PodWaiting[] = [
      {
        pod: { namespace, name: `web-${i % 97}-x${i % 13}`, uid: `uid-${i}` },
        workload: { kind: 'Deployment', name: `web-${i % 97}` },
        waitingReason: 'ContainerCreating',
      },
    ];
    const node = `node-${String(i % nodes).padStart(3, '0')}`;
    yield {
      id: `${node}/${img.image}#${i}`,
      cluster: pick(clusters),
      node,
      image: img.image,
      registry: img.registry,
      repository: img.repository,
      digest: `sha256:${(i * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(8)}`,
      state,
      error: state === 'failed' ? { reason: 'not-found', message: `failed to resolve reference "${img.image}": not found` } : undefined,
      queuedAt: at - waitMs - downloadMs - unpackMs,
      startedAt: at - downloadMs - unpackMs,
      finishedAt: at,
      waitMs,
      downloadMs,
      unpackMs,
      bytesTotal,
      bytesDownloaded: state === 'cached' ? 0 : bytesTotal,
      bytesCached: state === 'cached' ? bytesTotal : 0,
      avgRate: downloadMs > 0 ? (bytesTotal / downloadMs) * 1000 : 0,
      peakRate: downloadMs > 0 ? (bytesTotal / downloadMs) * 1500 : 0,
      layerCount: 1 + (i % 9),
      pods,
      source: 'both',
    };
  }
}

export function* generateRecords(count: number, options: GenerateOptions = {}): Generator<HistoryRecord> {
  const random = seededRandom((options.seed ?? 7) + 1);
  for (const pull of generatePulls(count, options)) {
    yield toHistoryRecord(pull, pull.cluster, options.throughput === true ? throughputOf(pull, random) : undefined);
  }
}

/** A series shaped like ThroughputSampler's: ≤ MAX_POINTS whole-second buckets, ±30 % around the average. */
function throughputOf(pull: FinishedPull, random: () => number): PullThroughput | undefined {
  const downloadMs = pull.downloadMs ?? 0;
  if (pull.startedAt === undefined || pull.bytesDownloaded <= 0 || downloadMs < 1000) return undefined;
  const stepMs = Math.max(1000, Math.ceil(downloadMs / MAX_POINTS / 1000) * 1000);
  const bytesPerSecond = Array.from({ length: Math.ceil(downloadMs / stepMs) }, () => Math.round(pull.avgRate * (0.7 + 0.6 * random())));
  return { startAt: pull.startedAt, stepMs, bytesPerSecond };
}
