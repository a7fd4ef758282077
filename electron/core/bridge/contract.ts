// The one typed contract between the core and the renderer, used by both transports (Electron IPC
// and the serve-mode WebSocket). Everything that crosses that boundary is described here as a zod
// schema; the TypeScript types are inferred from the schemas, and the engine's own output types are
// checked against them at compile time (see the `satisfies` lines), so the wire format cannot drift
// from what the engine produces.
//
// The renderer imports this file (and nothing else from the core), so it may import only zod and
// types.
//
// Flow: on connect the core sends `hello` then `snapshot`; then batched `delta`s at most 10 per
// second; every command the renderer sends ({id, command}) is answered by one `result` with the
// same id: `{ok:true, value}` or `{ok:false, error:{code, message}}`.
import { z } from 'zod';
import type {
  FinishedPull,
  LayerView,
  NodeView,
  PullView,
  SeriesPoint,
  ThroughputSeries,
} from '../engine/types.ts';

/** The engine's output types, re-exported for the renderer (which may import only this file). */
export type { FinishedPull, LayerView, NodeView, PodWaiting, PullState, PullView, SeriesPoint, ThroughputSeries } from '../engine/types.ts';

export const PROTOCOL_VERSION = 1;
/** Deltas are coalesced to at most this many per second per connection. */
export const MAX_DELTAS_PER_SECOND = 10;

// ---------------------------------------------------------------------------------------------
// Engine outputs as they travel (checked against engine/types.ts).

const failureReason = z.enum([
  'auth', 'not-found', 'manifest-unknown', 'timeout', 'backoff', 'never-pull', 'inspect', 'network', 'aborted', 'node-gone', 'other',
]);
const pullError = z.object({ reason: failureReason, message: z.string() });
const podRef = z.object({ namespace: z.string(), name: z.string(), uid: z.string() });
const workloadRef = z.object({ kind: z.string(), name: z.string() });
const podWaiting = z.object({
  pod: podRef,
  workload: workloadRef.optional(),
  container: z.string().optional(),
  waitingReason: z.string().optional(),
});

export const pullStateSchema = z.enum([
  'queued', 'waiting', 'resolving', 'downloading', 'stalled', 'unpacking', 'done', 'cached', 'failed', 'unknown',
]);
export type PullStateName = z.infer<typeof pullStateSchema>;

const layerViewSchema = z.object({
  digest: z.string(),
  mediaType: z.string(),
  size: z.number(),
  done: z.number(),
  state: z.enum(['pending', 'downloading', 'stalled', 'done', 'cached']),
  rate: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  sharedWith: z.array(z.string()),
}) satisfies z.ZodType<LayerView>;

export const pullViewSchema = z.object({
  id: z.string(),
  cluster: z.string(),
  node: z.string(),
  image: z.string(),
  registry: z.string(),
  repository: z.string(),
  digest: z.string().optional(),
  state: pullStateSchema,
  waitingOn: z.string().optional(),
  phases: z.object({
    queuedAt: z.number().optional(),
    resolvingAt: z.number().optional(),
    downloadingAt: z.number().optional(),
    unpackingAt: z.number().optional(),
    finishedAt: z.number().optional(),
  }),
  bytes: z.object({ done: z.number(), total: z.number(), cached: z.number(), totalKnown: z.boolean() }),
  rate: z.number(),
  etaSeconds: z.number().nullable(),
  layers: z.array(layerViewSchema),
  pods: z.array(podWaiting),
  error: pullError.optional(),
  source: z.enum(['agent', 'events', 'both']),
  updatedAt: z.number(),
}) satisfies z.ZodType<PullView>;

export const nodeViewSchema = z.object({
  name: z.string(),
  agent: z.enum(['connected', 'disconnected', 'none']),
  agentVersion: z.string().optional(),
  containerdVersion: z.string().optional(),
  activePulls: z.number(),
  rate: z.number(),
}) satisfies z.ZodType<NodeView>;

const seriesPointSchema = z.object({ at: z.number(), bytesPerSecond: z.number() }) satisfies z.ZodType<SeriesPoint>;
export const throughputSchema = z.object({
  cluster: z.array(seriesPointSchema),
  nodes: z.record(z.string(), z.array(seriesPointSchema)),
}) satisfies z.ZodType<ThroughputSeries>;

export const finishedPullSchema = z.object({
  id: z.string(),
  cluster: z.string(),
  node: z.string(),
  image: z.string(),
  registry: z.string(),
  repository: z.string(),
  digest: z.string().optional(),
  state: z.enum(['done', 'cached', 'failed', 'abandoned']),
  error: pullError.optional(),
  queuedAt: z.number().optional(),
  startedAt: z.number().optional(),
  finishedAt: z.number(),
  waitMs: z.number().optional(),
  downloadMs: z.number().optional(),
  unpackMs: z.number().optional(),
  bytesTotal: z.number(),
  bytesDownloaded: z.number(),
  bytesCached: z.number(),
  avgRate: z.number(),
  peakRate: z.number(),
  layerCount: z.number(),
  pods: z.array(podWaiting),
  source: z.enum(['agent', 'events', 'both']),
}) satisfies z.ZodType<FinishedPull>;

// ---------------------------------------------------------------------------------------------
// Core state that is not engine output: clusters, contexts, notifications, settings.

export const clusterStatusSchema = z.object({
  /** The cluster's id in the app: the kubeconfig context name, or `demo:<name>` for a replay. */
  id: z.string(),
  label: z.string(),
  kind: z.enum(['context', 'demo']),
  state: z.enum(['connecting', 'connected', 'degraded', 'error', 'disconnected']),
  /** What the user should know about the state (an error's cause, the mode chosen and why). */
  message: z.string().optional(),
  /** How pull data is obtained: node agents, kubelet events only, or a recording. */
  mode: z.enum(['agent', 'events', 'replay', 'none']),
  /** RBAC preflight: each missing permission as a sentence, per feature. */
  missing: z.array(z.object({ feature: z.string(), sentence: z.string() })),
  agent: z
    .object({ installed: z.boolean(), version: z.string().optional(), nodesConnected: z.number(), nodesTotal: z.number() })
    .optional(),
});
export type ClusterStatus = z.infer<typeof clusterStatusSchema>;

export const contextInfoSchema = z.object({
  name: z.string(),
  cluster: z.string(),
  server: z.string().optional(),
  user: z.string().optional(),
  namespace: z.string(),
  current: z.boolean(),
  auth: z.string(),
  /** Why the context cannot be used as is (empty when it looks usable). */
  problems: z.array(z.string()),
});
export type ContextInfo = z.infer<typeof contextInfoSchema>;

export const contextListSchema = z.object({
  contexts: z.array(contextInfoSchema),
  current: z.string().optional(),
  /** Each kubeconfig file and whether it could be read (a missing file is not an error). */
  files: z.array(z.object({ path: z.string(), state: z.string(), message: z.string().optional() })),
});
export type ContextList = z.infer<typeof contextListSchema>;

export const notificationKindSchema = z.enum(['failed', 'stalled', 'finished']);
export type NotificationKind = z.infer<typeof notificationKindSchema>;

export const notificationSchema = z.object({
  id: z.string(),
  kind: notificationKindSchema,
  cluster: z.string(),
  pullId: z.string(),
  image: z.string(),
  node: z.string(),
  message: z.string(),
  at: z.number(),
});
export type PullNotification = z.infer<typeof notificationSchema>;

export const settingsSchema = z.object({
  notifications: z.object({ failed: z.boolean(), stalled: z.boolean(), finished: z.boolean() }),
  /** Replay demo delivery speed (1 = recorded pace). */
  demoSpeed: z.number().min(0.25).max(16),
});
export type Settings = z.infer<typeof settingsSchema>;
export const settingsPatchSchema = z.object({
  notifications: settingsSchema.shape.notifications.partial().optional(),
  demoSpeed: settingsSchema.shape.demoSpeed.optional(),
});
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const historyQuerySchema = z.object({
  /** Substring matched against image, node, and pod names. */
  text: z.string().max(200).optional(),
  cluster: z.string().optional(),
  state: z.enum(['done', 'cached', 'failed', 'abandoned']).optional(),
  from: z.number().optional(),
  to: z.number().optional(),
  /** At most this many rows (the store's default when absent). */
  limit: z.number().int().min(1).max(10_000).optional(),
});
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

export const agentActionSchema = z.enum(['install', 'upgrade', 'uninstall']);
export const manifestPreviewSchema = z.object({
  action: agentActionSchema,
  cluster: z.string(),
  /** The manifests as YAML, exactly what will be applied (or deleted). */
  yaml: z.string(),
  /** Hash of `yaml`: applying requires the hash of the preview the user saw. */
  hash: z.string(),
  objects: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string().optional() })),
});
export type ManifestPreview = z.infer<typeof manifestPreviewSchema>;

// ---------------------------------------------------------------------------------------------
// Commands (renderer → core) and their results.

const clusterId = z.string().min(1).max(253);

export const commandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('contexts.list') }),
  z.object({ type: z.literal('context.connect'), context: z.string().min(1).max(253) }),
  z.object({ type: z.literal('cluster.disconnect'), cluster: clusterId }),
  z.object({ type: z.literal('demo.start') }),
  z.object({ type: z.literal('agent.preview'), cluster: clusterId, action: agentActionSchema }),
  z.object({ type: z.literal('agent.apply'), cluster: clusterId, action: agentActionSchema, hash: z.string().min(1) }),
  z.object({ type: z.literal('history.query'), query: historyQuerySchema }),
  z.object({
    type: z.literal('history.export'),
    query: historyQuerySchema,
    /** `inline`: return the CSV text (serve mode downloads it); `dialog`: the Electron shell asks where to save. */
    destination: z.enum(['inline', 'dialog']),
  }),
  z.object({ type: z.literal('settings.get') }),
  z.object({ type: z.literal('settings.set'), patch: settingsPatchSchema }),
]);
export type Command = z.infer<typeof commandSchema>;
export type CommandType = Command['type'];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

export const commandResultSchemas = {
  'contexts.list': contextListSchema,
  'context.connect': z.object({ cluster: z.string() }),
  'cluster.disconnect': z.object({ cluster: z.string() }),
  'demo.start': z.object({ cluster: z.string() }),
  'agent.preview': manifestPreviewSchema,
  'agent.apply': z.object({ cluster: z.string(), action: agentActionSchema }),
  'history.query': z.object({ rows: z.array(finishedPullSchema), truncated: z.boolean() }),
  'history.export': z.object({ rows: z.number(), filename: z.string(), csv: z.string().optional(), savedTo: z.string().optional() }),
  'settings.get': settingsSchema,
  'settings.set': settingsSchema,
} satisfies Record<CommandType, z.ZodType>;
export type CommandValue<T extends CommandType> = z.infer<(typeof commandResultSchemas)[T]>;

export const errorCodeSchema = z.enum([
  /** The payload did not match this contract. */
  'invalid-request',
  /** The feature's backend is not part of this build or this session (e.g. no kube layer). */
  'not-available',
  'not-found',
  /** The cluster refused (RBAC) or the kubeconfig cannot authenticate. */
  'forbidden',
  /** A stale preview hash, an already connected cluster, … */
  'conflict',
  'cancelled',
  'failed',
]);
export type ErrorCode = z.infer<typeof errorCodeSchema>;
export const bridgeErrorSchema = z.object({ code: errorCodeSchema, message: z.string() });
export type BridgeError = z.infer<typeof bridgeErrorSchema>;

export type CommandResult<T extends CommandType = CommandType> =
  | { ok: true; value: CommandValue<T> }
  | { ok: false; error: BridgeError };

export const requestSchema = z.object({ id: z.number().int().nonnegative(), command: commandSchema });
export type CommandRequest = z.infer<typeof requestSchema>;

// ---------------------------------------------------------------------------------------------
// Server messages (core → renderer).

const pullKeySchema = z.object({ cluster: z.string(), id: z.string() });
export type PullKey = z.infer<typeof pullKeySchema>;
const clusterNodesSchema = z.object({ cluster: z.string(), nodes: z.array(nodeViewSchema) });
const clusterSeriesSchema = z.object({ cluster: z.string(), series: throughputSchema });

export const helloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.literal(PROTOCOL_VERSION),
  transport: z.enum(['ipc', 'websocket']),
  appVersion: z.string(),
});

export const snapshotSchema = z.object({
  type: z.literal('snapshot'),
  at: z.number(),
  clusters: z.array(clusterStatusSchema),
  pulls: z.array(pullViewSchema),
  nodes: z.array(clusterNodesSchema),
  /** The whole retained window per cluster (already 1 Hz buckets, bounded by the engine). */
  series: z.array(clusterSeriesSchema),
  settings: settingsSchema,
});

export const deltaSchema = z.object({
  type: z.literal('delta'),
  at: z.number(),
  /** Only the clusters whose status changed. */
  clusters: z.array(clusterStatusSchema),
  clustersRemoved: z.array(z.string()),
  upserts: z.array(pullViewSchema),
  removals: z.array(pullKeySchema),
  /** Node views that changed, per cluster (each replaces the previous view of that node). */
  nodes: z.array(clusterNodesSchema),
  /** New series points since the last delta, per cluster. */
  series: z.array(clusterSeriesSchema),
  notifications: z.array(notificationSchema),
  settings: settingsSchema.optional(),
});

export const resultMessageSchema = z.object({
  type: z.literal('result'),
  id: z.number(),
  result: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value: z.unknown() }),
    z.object({ ok: z.literal(false), error: bridgeErrorSchema }),
  ]),
});

export const serverMessageSchema = z.discriminatedUnion('type', [helloSchema, snapshotSchema, deltaSchema, resultMessageSchema]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type HelloMessage = z.infer<typeof helloSchema>;
export type SnapshotMessage = z.infer<typeof snapshotSchema>;
export type DeltaMessage = z.infer<typeof deltaSchema>;
export type ResultMessage = z.infer<typeof resultMessageSchema>;

/** Checks a result value against its command's schema (the renderer does this on every answer). */
export function parseCommandValue<T extends CommandType>(type: T, value: unknown): CommandResult<T> {
  const parsed = commandResultSchemas[type].safeParse(value);
  if (!parsed.success) return { ok: false, error: { code: 'failed', message: `malformed ${type} result: ${describeInvalid(parsed.error)}` } };
  return { ok: true, value: parsed.data as CommandValue<T> };
}

/** A one-line, human description of a zod failure (no payload echo: it may hold anything). */
export function describeInvalid(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** The API the renderer sees, whatever the transport (preload object or WebSocket client). */
export interface BridgeApi {
  /** Subscribes to server messages; returns the unsubscribe function. The first messages after
   * subscribing are `hello` and `snapshot`. */
  subscribe(listener: (message: ServerMessage) => void): () => void;
  invoke<T extends CommandType>(command: CommandOf<T>): Promise<CommandResult<T>>;
}

/** What the Electron preload exposes as `window.pulltrace` — and nothing else. The renderer builds
 * its BridgeApi on top of it exactly as it does on a WebSocket. */
export interface PreloadApi {
  /** Tells the core the renderer is listening: it answers with hello + snapshot. */
  ready(): void;
  send(request: CommandRequest): void;
  onMessage(listener: (message: ServerMessage) => void): () => void;
}
export const PRELOAD_GLOBAL = 'pulltrace';

/** The IPC channel names (Electron transport). */
export const IPC_CHANNELS = { command: 'pulltrace:command', message: 'pulltrace:message', ready: 'pulltrace:ready' } as const;
