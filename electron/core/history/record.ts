// What the history stores per finished pull: the engine's FinishedPull plus the fields history
// needs to query and export without re-deriving them (context, namespaces, workloads, duration).
// Records on disk cross a trust boundary (another version of the app, a damaged disk, a hand
// edit), so reading goes through a zod schema; writing derives from the typed FinishedPull.
// A record is a FinishedPull with more fields, so it can be handed to anything that takes
// FinishedPull rows (app-history.ts relies on that, and fails to compile if the two drift apart).
import { z } from 'zod';
import type { FailureReason, FinishedPull } from '../engine/types.ts';
import { MAX_POINTS, type PullThroughput } from './throughput.ts';

export const RECORD_VERSION = 1;

const FAILURE_REASONS = [
  'auth', 'not-found', 'manifest-unknown', 'timeout', 'backoff', 'never-pull', 'inspect', 'network', 'aborted', 'node-gone', 'other',
] as const satisfies readonly FailureReason[];
const FINISHED_STATES = ['done', 'cached', 'failed', 'abandoned'] as const satisfies readonly FinishedPull['state'][];
const SOURCES = ['agent', 'events', 'both'] as const satisfies readonly FinishedPull['source'][];
// These lists must stay equal to the engine's unions, which grow additively: a value missing here
// would make records carrying it unreadable. `satisfies` checks one direction; toHistoryRecord,
// which assigns FinishedPull's values to these fields, fails to compile in the other.

const failureReasonSchema = z.enum(FAILURE_REASONS);
export const finishedStateSchema = z.enum(FINISHED_STATES);
export type FinishedState = z.infer<typeof finishedStateSchema>;

const time = z.number().finite();
const duration = z.number().finite().nonnegative();
const count = z.number().finite().nonnegative();

export const historyRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  id: z.string(),
  cluster: z.string().min(1),
  /** kubeconfig context the cluster was watched through (equals `cluster` when unknown). */
  context: z.string().min(1),
  node: z.string(),
  image: z.string(),
  registry: z.string(),
  repository: z.string(),
  digest: z.string().optional(),
  state: finishedStateSchema,
  error: z.object({ reason: failureReasonSchema, message: z.string() }).optional(),
  queuedAt: time.optional(),
  startedAt: time.optional(),
  finishedAt: time,
  waitMs: duration.optional(),
  downloadMs: duration.optional(),
  unpackMs: duration.optional(),
  /** finishedAt minus the first known phase (queued, else started); absent when neither is known. */
  durationMs: duration.optional(),
  bytesTotal: count,
  bytesDownloaded: count,
  bytesCached: count,
  avgRate: count,
  peakRate: count,
  layerCount: count,
  /** Distinct namespaces of the pods that waited on this pull, sorted. */
  namespaces: z.array(z.string()),
  /** The pods that waited on this pull, as the engine reported them. */
  pods: z.array(
    z.object({
      pod: z.object({ namespace: z.string(), name: z.string(), uid: z.string() }),
      workload: z.object({ kind: z.string(), name: z.string() }).optional(),
      container: z.string().optional(),
      waitingReason: z.string().optional(),
    }),
  ),
  /** `namespace/Kind/name` of those pods' workloads, distinct, sorted. */
  workloads: z.array(z.string()),
  source: z.enum(SOURCES),
  /** Download rate over time (throughput.ts), when the pull was seen while downloading. */
  throughput: z
    .object({
      startAt: time,
      stepMs: z.number().int().positive(),
      bytesPerSecond: z.array(count).max(MAX_POINTS),
    })
    .optional(),
});
export type HistoryRecord = z.infer<typeof historyRecordSchema>;

const sortedDistinct = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/** Builds the stored record of a finished pull. `context` defaults to the engine's cluster name. */
export function toHistoryRecord(pull: FinishedPull, context: string = pull.cluster, throughput?: PullThroughput): HistoryRecord {
  const firstPhase = pull.queuedAt ?? pull.startedAt;
  const durationMs = firstPhase === undefined ? undefined : Math.max(0, pull.finishedAt - firstPhase);
  return {
    v: RECORD_VERSION,
    id: pull.id,
    cluster: pull.cluster,
    context,
    node: pull.node,
    image: pull.image,
    registry: pull.registry,
    repository: pull.repository,
    digest: pull.digest,
    state: pull.state,
    error: pull.error,
    queuedAt: pull.queuedAt,
    startedAt: pull.startedAt,
    finishedAt: pull.finishedAt,
    waitMs: pull.waitMs,
    downloadMs: pull.downloadMs,
    unpackMs: pull.unpackMs,
    durationMs,
    bytesTotal: pull.bytesTotal,
    bytesDownloaded: pull.bytesDownloaded,
    bytesCached: pull.bytesCached,
    avgRate: pull.avgRate,
    peakRate: pull.peakRate,
    layerCount: pull.layerCount,
    namespaces: sortedDistinct(pull.pods.map((p) => p.pod.namespace)),
    pods: pull.pods,
    workloads: sortedDistinct(
      pull.pods.flatMap((p) => (p.workload ? [`${p.pod.namespace}/${p.workload.kind}/${p.workload.name}`] : [])),
    ),
    source: pull.source,
    throughput,
  };
}
