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
//
// Windowing: the renderer tells its session what it looks at (`view.set`: the table's sort, filter
// and row range, the open pull, whether the charts or nodes view is shown). The session sends only
// that: the visible rows as compact `PullRow`s, the one open pull in full (`PullDetailView`), per-state
// counters over every pull, the charts and nodes already reduced. Traffic is then bounded by the
// screen, not by the cluster size.
import { z } from 'zod';
import type { FinishedPull, LayerView, NodeView, PullDetailView, PullView } from '../engine/types.ts';

/** The engine's output types, re-exported for the renderer (which may import only this file). */
export type { FinishedPull, LayerView, NodeView, PodWaiting, PullDetailView, PullState, PullView } from '../engine/types.ts';

export const PROTOCOL_VERSION = 2;
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
  pods: z.array(podWaiting),
  error: pullError.optional(),
  source: z.enum(['agent', 'events', 'both']),
  updatedAt: z.number(),
}) satisfies z.ZodType<PullView>;

export const pullDetailViewSchema = pullViewSchema.extend({ layers: z.array(layerViewSchema) }) satisfies z.ZodType<PullDetailView>;

export const nodeViewSchema = z.object({
  name: z.string(),
  agent: z.enum(['connected', 'disconnected', 'none']),
  agentVersion: z.string().optional(),
  containerdVersion: z.string().optional(),
  activePulls: z.number(),
  rate: z.number(),
}) satisfies z.ZodType<NodeView>;

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
  /** Substring matched against image and node names (case-insensitive). */
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
/** Where containerd's socket is on the cluster's nodes: a distribution's preset or a host path.
 * The path ends up in a hostPath volume (its directory is mounted), so it is held to an absolute,
 * normalised path to a file below some directory other than `/`. */
export const agentSocketPresets = ['containerd', 'k3s', 'rke2', 'microk8s'] as const;
export const agentSocketSchema = z.union([
  z.enum(agentSocketPresets),
  z.object({
    path: z
      .string()
      .max(512)
      .regex(/^(\/[A-Za-z0-9._+@-]+){2,}$/, 'an absolute path to the socket below a directory other than /, of letters, digits and . _ + @ -')
      .refine((p) => !p.split('/').some((part) => part === '.' || part === '..'), 'no . or .. in the path'),
  }),
]);
export type AgentSocket = z.infer<typeof agentSocketSchema>;
export const manifestPreviewSchema = z.object({
  action: agentActionSchema,
  cluster: z.string(),
  /** install/upgrade: the socket's host path the manifests mount, and its preset's name when it is one */
  socket: z.object({ path: z.string(), preset: z.enum(agentSocketPresets).optional() }).optional(),
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

// ---------------------------------------------------------------------------------------------
// What the renderer looks at (`view.set`), and the windowed state the session sends for it.

export const pullSortKeySchema = z.enum(['node', 'image', 'state', 'progress', 'rate', 'eta', 'pods', 'updated']);
export type PullSortKey = z.infer<typeof pullSortKeySchema>;
export const pullSortSchema = z.object({ key: pullSortKeySchema, descending: z.boolean() });
export type PullSort = z.infer<typeof pullSortSchema>;

/** `active`: not finished yet; `problems`: stalled or failed. */
export const pullStateFilterSchema = z.union([pullStateSchema, z.enum(['', 'active', 'problems'])]);
export const pullFilterSchema = z.object({
  cluster: z.string().max(253),
  namespace: z.string().max(253),
  node: z.string().max(253),
  /** Repository or full image reference. */
  image: z.string().max(1024),
  state: pullStateFilterSchema,
  /** Substring of image, node, pod, workload or error text (case-insensitive). */
  search: z.string().max(200),
});
export type PullFilter = z.infer<typeof pullFilterSchema>;
export const emptyPullFilter: PullFilter = { cluster: '', namespace: '', node: '', image: '', state: '', search: '' };

/** Rows one window may hold: a screen plus overscan is ~70; this only bounds a bad request. */
export const MAX_WINDOW_ROWS = 500;
export const pullKeySchema = z.object({ cluster: z.string(), id: z.string() });
export type PullKey = z.infer<typeof pullKeySchema>;

export const viewRequestSchema = z.object({
  /** The live pulls table, when it is shown: rows [offset, offset + limit) of the sorted, filtered set. */
  pulls: z
    .object({
      /** The renderer's number for this sort + filter, echoed in the window that answers it. */
      query: z.number().int().min(0),
      sort: pullSortSchema,
      filter: pullFilterSchema,
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(MAX_WINDOW_ROWS),
    })
    .optional(),
  /** The pull whose detail is open: the only one sent in full, with its layers. */
  detail: pullKeySchema.optional(),
  /** The throughput view is shown: send the stacked series and the fastest pulls. */
  charts: z.boolean(),
  /** The nodes view is shown: send the busiest nodes. */
  nodes: z.boolean(),
});
export type ViewRequest = z.infer<typeof viewRequestSchema>;

export const commandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('contexts.list') }),
  z.object({ type: z.literal('context.connect'), context: z.string().min(1).max(253) }),
  z.object({ type: z.literal('cluster.disconnect'), cluster: clusterId }),
  z.object({ type: z.literal('demo.start') }),
  /** `socket` absent: what the installed agent uses (upgrade), or the containerd preset */
  z.object({ type: z.literal('agent.preview'), cluster: clusterId, action: agentActionSchema, socket: agentSocketSchema.optional() }),
  z.object({ type: z.literal('agent.apply'), cluster: clusterId, action: agentActionSchema, hash: z.string().min(1), socket: agentSocketSchema.optional() }),
  z.object({ type: z.literal('history.query'), query: historyQuerySchema }),
  z.object({
    type: z.literal('history.export'),
    query: historyQuerySchema,
    /** `inline`: return the CSV text (serve mode downloads it); `dialog`: the Electron shell asks where to save. */
    destination: z.enum(['inline', 'dialog']),
  }),
  z.object({ type: z.literal('settings.get') }),
  z.object({ type: z.literal('settings.set'), patch: settingsPatchSchema }),
  /** Handled by the session itself (each connection looks at its own window). */
  z.object({ type: z.literal('view.set'), view: viewRequestSchema }),
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
  'view.set': z.object({}),
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

/** One line of the live pulls table: what the table shows, no layers (~10 × smaller than a PullView). */
export const pullRowSchema = z.object({
  id: z.string(),
  cluster: z.string(),
  node: z.string(),
  image: z.string(),
  state: pullStateSchema,
  done: z.number(),
  total: z.number(),
  totalKnown: z.boolean(),
  rate: z.number(),
  etaSeconds: z.number().nullable(),
  pods: z.number().int(),
  /** `namespace/name` of the first waiting pod. */
  firstPod: z.string().optional(),
  error: pullError.optional(),
  updatedAt: z.number(),
});
export type PullRow = z.infer<typeof pullRowSchema>;

/** Counters over every live pull (all clusters, unfiltered). */
export const pullCountsSchema = z.object({
  total: z.number().int(),
  byState: z.partialRecord(pullStateSchema, z.number().int()),
  /** Pulls seen entering `failed` since this connection opened (live or gone since). */
  failures: z.number().int(),
});
export type PullCounts = z.infer<typeof pullCountsSchema>;

/** The visible slice of the sorted, filtered table. */
export const pullWindowSchema = z.object({
  /** The `query` number of the request this window answers (rows of an older query are stale). */
  query: z.number().int(),
  /** Rows matching the filter (the table's scroll height). */
  matching: z.number().int(),
  offset: z.number().int(),
  rows: z.array(pullRowSchema),
});
export type PullWindow = z.infer<typeof pullWindowSchema>;

/** Values for the filter pickers, over every live pull. */
export const pullFacetsSchema = z.object({
  clusters: z.array(z.string()),
  namespaces: z.array(z.string()),
  nodes: z.array(z.string()),
  images: z.array(z.string()),
});
export type PullFacets = z.infer<typeof pullFacetsSchema>;

/** The open pull in full; `pull: null` when it is not (or no longer) live. */
export const pullDetailSchema = z.object({ cluster: z.string(), id: z.string(), pull: pullDetailViewSchema.nullable() });
export type PullDetailMessage = z.infer<typeof pullDetailSchema>;

/** One cluster's throughput stacked per node: `keys` are the top nodes then `other`; each row is
 * `[at, value of keys[0], …]` in bytes/s, one row per 1 Hz bucket over a fixed window. */
/** The key of the series that sums every node outside the top ones. */
export const OTHER_SERIES = 'other';
export const stackedChartSchema = z.object({ cluster: z.string(), keys: z.array(z.string()), rows: z.array(z.array(z.number())) });
export type StackedChart = z.infer<typeof stackedChartSchema>;
export const chartsStateSchema = z.object({ clusters: z.array(stackedChartSchema), fastest: z.array(pullRowSchema) });
export type ChartsState = z.infer<typeof chartsStateSchema>;

export const clusterNodeViewSchema = nodeViewSchema.extend({ cluster: z.string() });
export type ClusterNodeView = z.infer<typeof clusterNodeViewSchema>;
/** The busiest nodes (rate, then active pulls), of `total` known nodes. */
export const nodesStateSchema = z.object({ total: z.number().int(), busiest: z.array(clusterNodeViewSchema) });
export type NodesState = z.infer<typeof nodesStateSchema>;

/** The windowed state: each part present when it changed (a snapshot carries counts and facets). */
const windowedParts = {
  counts: pullCountsSchema.optional(),
  window: pullWindowSchema.optional(),
  facets: pullFacetsSchema.optional(),
  detail: pullDetailSchema.optional(),
  charts: chartsStateSchema.optional(),
  nodes: nodesStateSchema.optional(),
};

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
  settings: settingsSchema,
  ...windowedParts,
});

export const deltaSchema = z.object({
  type: z.literal('delta'),
  at: z.number(),
  /** Only the clusters whose status changed. */
  clusters: z.array(clusterStatusSchema),
  clustersRemoved: z.array(z.string()),
  ...windowedParts,
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
