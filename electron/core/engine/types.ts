// The engine's contract: what goes in (typed events, each with its observation time) and what comes
// out (pull views, deltas, finished-pull records, throughput series). One engine instance serves one
// cluster; everything here is plain data so it can be recorded, replayed and sent over the bridge.
//
// Times are milliseconds since the Unix epoch, always supplied by the caller: the engine never reads
// a clock. Byte counts are plain numbers of bytes; rates are bytes per second.

// ---------------------------------------------------------------------------------------------
// Inputs from the node agent (one stream per node, see proto/agent.proto; electron/core/agents
// translates frames into these).

/** What kind of blob an ingest writes, from the prefix of containerd's ref (`layer-sha256:…`). */
export type IngestKind = 'layer' | 'manifest' | 'index' | 'config' | 'unknown';

/** One live containerd ingest (Content.ListStatuses entry), as seen by the agent. */
export interface IngestStatus {
  ref: string;
  kind: IngestKind;
  /** `sha256:<hex>`, taken from the ref (containerd leaves `expected` empty). */
  digest: string;
  /** Bytes written so far (moves in 1 MiB steps in containerd 1.6–2.x). */
  offset: number;
  /** Blob size from the descriptor, known from the start. */
  total: number;
  startedAt: number;
  /** containerd's updated_at: the only liveness signal; frozen while stalled. */
  updatedAt: number;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** A layer (or config) descriptor of a manifest, with whether the node already has the blob. */
export interface BlobDescriptor {
  digest: string;
  size: number;
  mediaType: string;
  /** The blob was already committed in the content store when the manifest was read. */
  present: boolean;
}

export interface AgentConnected {
  type: 'agent.connected';
  at: number;
  node: string;
  agentVersion: string;
  containerdVersion: string;
}

export interface AgentDisconnected {
  type: 'agent.disconnected';
  at: number;
  node: string;
  reason: string;
}

/** Full set of the node's live ingests (sent on connect and after a reconnect): any ingest the
 * engine knew on that node that is not listed here is gone. */
export interface AgentSnapshot {
  type: 'agent.snapshot';
  at: number;
  node: string;
  ingests: IngestStatus[];
}

/** Ingests that started or progressed since the last frame. */
export interface IngestsObserved {
  type: 'ingests.observed';
  at: number;
  node: string;
  ingests: IngestStatus[];
}

/** An ingest vanished from ListStatuses: committed (Content.Info found the blob) or aborted. */
export interface IngestGone {
  type: 'ingest.gone';
  at: number;
  node: string;
  ref: string;
  digest: string;
  outcome: 'committed' | 'aborted' | 'unknown';
}

/** A committed image manifest, read by the agent, with its layers. `sources` are the
 * `containerd.io/distribution.source.<host>` labels rendered as `host/repo` (e.g.
 * `127.0.0.1/lab/alpha`; several when pulls of different repos share the blob). */
export interface ManifestSeen {
  type: 'manifest.seen';
  at: number;
  node: string;
  digest: string;
  mediaType: string;
  sources: string[];
  platform?: Platform;
  config?: BlobDescriptor;
  layers: BlobDescriptor[];
}

/** A committed image index (manifest list): which manifest serves which platform. */
export interface IndexSeen {
  type: 'index.seen';
  at: number;
  node: string;
  digest: string;
  mediaType: string;
  sources: string[];
  manifests: { digest: string; size: number; platform?: Platform }[];
}

/** containerd created or updated an image record (the end of a pull: records appear only after
 * the last commit, or after unpack for CRI). `name` is e.g. `127.0.0.1:5001/lab/alpha:v1`,
 * `sha256:<config>` (CRI image id) or `repo@sha256:<manifest>`. */
export interface ImageUpserted {
  type: 'image.upserted';
  at: number;
  node: string;
  name: string;
  /** Digest of the record's target (manifest or index), when the agent knows it. */
  targetDigest?: string;
}

export interface ContentDeleted {
  type: 'content.deleted';
  at: number;
  node: string;
  digest: string;
}

export type AgentInput =
  | AgentConnected
  | AgentDisconnected
  | AgentSnapshot
  | IngestsObserved
  | IngestGone
  | ManifestSeen
  | IndexSeen
  | ImageUpserted
  | ContentDeleted;

// ---------------------------------------------------------------------------------------------
// Inputs from Kubernetes (electron/core/kube translates watch events into these).

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** The workload that owns a pod, resolved by the kube layer (ReplicaSet → Deployment, Job → CronJob). */
export interface WorkloadRef {
  kind: string;
  name: string;
}

export type KubeletPullReason = 'Pulling' | 'Pulled' | 'Failed' | 'BackOff' | 'ErrImageNeverPull' | 'InspectFailed';

/** A kubelet event about an image (core/v1 Event with source.component=kubelet). The message is
 * passed verbatim: the engine parses both the old and the new kubelet `Pulled` formats. */
export interface KubeletEvent {
  type: 'kube.event';
  at: number;
  /** Event object uid plus its count: one (uid, count) is applied once even if watched twice. */
  uid: string;
  count: number;
  node: string;
  reason: KubeletPullReason;
  message: string;
  pod: PodRef;
  /** Container name from involvedObject.fieldPath (`spec.containers{name}`), when present. */
  container?: string;
}

export interface ContainerStatusObserved {
  name: string;
  image: string;
  /** waiting.reason: ContainerCreating, ErrImagePull, ImagePullBackOff, ErrImageNeverPull, … */
  waitingReason?: string;
  waitingMessage?: string;
  /** The container has started (running or terminated): its image is on the node. */
  started: boolean;
  /** status.imageID once known (`repo@sha256:…`). */
  imageID?: string;
}

/** A pod as last seen (add/update), or its deletion. */
export interface PodObserved {
  type: 'kube.pod';
  at: number;
  pod: PodRef;
  node?: string;
  workload?: WorkloadRef;
  deleted: boolean;
  containers: ContainerStatusObserved[];
}

export interface NodeRemoved {
  type: 'kube.node.removed';
  at: number;
  node: string;
}

export type KubeInput = KubeletEvent | PodObserved | NodeRemoved;

/** The clock advancing with no other input: drives stall detection, rates decaying, ETAs. */
export interface Tick {
  type: 'tick';
  at: number;
}

export type EngineInput = AgentInput | KubeInput | Tick;

// ---------------------------------------------------------------------------------------------
// Outputs.

export type PullState =
  | 'queued' // kubelet said Pulling, no bytes yet (e.g. kubelet's serialized pulls)
  | 'waiting' // blocked behind another pull fetching/unpacking a shared layer (see waitingOn)
  | 'resolving' // manifest/index being fetched
  | 'downloading'
  | 'stalled' // an ingest exists but no byte moved for stallAfterMs
  | 'unpacking' // every layer fetched, image record not yet created
  | 'done'
  | 'cached' // image already present on the node
  | 'failed'
  | 'unknown'; // the node's agent disconnected mid-pull: not finished, not lost

export type FailureReason =
  | 'auth'
  | 'not-found'
  | 'manifest-unknown'
  | 'timeout'
  | 'backoff'
  | 'never-pull'
  | 'inspect'
  | 'network'
  | 'aborted'
  | 'node-gone'
  | 'other';

export type LayerState = 'pending' | 'downloading' | 'stalled' | 'done' | 'cached';

export interface LayerView {
  digest: string;
  mediaType: string;
  size: number;
  /** Bytes fetched, monotonic; equals size once committed. */
  done: number;
  state: LayerState;
  /** Bytes per second over the rate window; 0 only when the layer really is not moving. */
  rate: number;
  startedAt?: number;
  finishedAt?: number;
  /** Other pulls on the same node that share this layer (it is counted once per node). */
  sharedWith: string[];
}

export interface PodWaiting {
  pod: PodRef;
  workload?: WorkloadRef;
  container?: string;
  waitingReason?: string;
}

export interface PullPhases {
  queuedAt?: number;
  resolvingAt?: number;
  downloadingAt?: number;
  unpackingAt?: number;
  finishedAt?: number;
}

export interface PullView {
  /** Stable id: `<node>/<image>#<attempt>`; unique within a cluster. */
  id: string;
  cluster: string;
  node: string;
  /** Image as requested (`127.0.0.1:5001/lab/alpha:v1`), or `host/repo@digest` until a name is known. */
  image: string;
  registry: string;
  repository: string;
  /** Resolved manifest (or index) digest, once known. */
  digest?: string;
  state: PullState;
  /** With state `waiting`: the pull holding the shared layer. */
  waitingOn?: string;
  phases: PullPhases;
  bytes: {
    /** Downloaded bytes of layers and config, monotonic, excluding cached blobs. */
    done: number;
    /** Sum of the manifest's blob sizes to download (known once the manifest is seen), excluding cached. */
    total: number;
    /** Bytes of blobs already present on the node. */
    cached: number;
    /** false while the manifest is unknown (total is then a lower bound). */
    totalKnown: boolean;
  };
  rate: number;
  /** Seconds until done at the current rate; null when unknown (no rate or no total). */
  etaSeconds: number | null;
  pods: PodWaiting[];
  error?: { reason: FailureReason; message: string };
  /** Where the pull is known from. */
  source: 'agent' | 'events' | 'both';
  updatedAt: number;
}

/** One pull with its layers (`Engine.pull`): what the detail of the open pull shows. Deltas and the
 * full listing carry PullViews without layers: the table never shows them, and building ~20 layer
 * views for each of ~10 k pull changes a second was a fifth of the engine's CPU at the 2,000-node
 * load (docs/engine.md, Benchmark). */
export interface PullDetailView extends PullView {
  layers: LayerView[];
}

/** A finished pull, emitted exactly once per pull, for history. */
export interface FinishedPull {
  id: string;
  cluster: string;
  node: string;
  image: string;
  registry: string;
  repository: string;
  digest?: string;
  state: 'done' | 'cached' | 'failed' | 'abandoned';
  error?: { reason: FailureReason; message: string };
  queuedAt?: number;
  startedAt?: number;
  finishedAt: number;
  waitMs?: number;
  downloadMs?: number;
  unpackMs?: number;
  bytesTotal: number;
  bytesDownloaded: number;
  bytesCached: number;
  avgRate: number;
  peakRate: number;
  layerCount: number;
  pods: PodWaiting[];
  source: 'agent' | 'events' | 'both';
}

/** One point of a throughput series: bytes/s averaged over the bucket ending at `at`. */
export interface SeriesPoint {
  at: number;
  bytesPerSecond: number;
}

export interface ThroughputSeries {
  /** Cluster total and one series per node with activity in the window. */
  cluster: SeriesPoint[];
  nodes: Record<string, SeriesPoint[]>;
}

/** Counted rejections of bad input (the engine never throws on input). */
export interface EngineWarnings {
  total: number;
  byKind: Record<string, number>;
}

/** What changed since the last drain: the bridge sends this to the UI, history stores `finished`. */
export interface EngineDelta {
  at: number;
  upserts: PullView[];
  removals: string[];
  finished: FinishedPull[];
  /** New series points since the last drain (cluster and per node). */
  series: { cluster: SeriesPoint[]; nodes: Record<string, SeriesPoint[]> };
  nodes: NodeView[];
}

export interface NodeView {
  name: string;
  agent: 'connected' | 'disconnected' | 'none';
  agentVersion?: string;
  containerdVersion?: string;
  activePulls: number;
  rate: number;
}

export interface EngineConfig {
  cluster: string;
  /** No byte moved for this long while the ingest exists → stalled. */
  stallAfterMs: number;
  /** Window for rates (containerd offsets move in 1 MiB steps: ≥ 2 s needed). */
  rateWindowMs: number;
  /** Throughput series bucket and retention. */
  seriesBucketMs: number;
  seriesWindowMs: number;
  /** Finished pulls stay visible in the live view this long, then are removed. */
  retainFinishedMs: number;
  /** A pull whose state did not change is re-sent by drain() at most this often (its bytes and
   * rate still move): a bridge draining at 10 Hz then sends each downloading pull a few times a
   * second instead of at every drain. State changes are sent at once. Default: 250 ms up to
   * 2,500 active pulls, growing with their count to 1 s at 10 k (progressIntervalFor). */
  progressIntervalMs?: number;
}
