// The agent's side of proto/agent.proto, as plain objects in proto-loader's camelCase shape
// (grpc-js serializes them; exactly one body field is set per frame).
export type IngestKind = 'layer' | 'manifest' | 'index' | 'config' | 'unknown';

export interface IngestMsg {
  ref: string;
  kind: IngestKind;
  digest: string;
  offset: number;
  total: number;
  startedAtMs: number;
  updatedAtMs: number;
}

export interface PlatformMsg {
  os: string;
  architecture: string;
  variant: string;
}

export interface BlobMsg {
  digest: string;
  size: number;
  mediaType: string;
  present: boolean;
}

export interface ManifestMsg {
  digest: string;
  mediaType: string;
  sources: string[];
  platform?: PlatformMsg;
  config?: BlobMsg;
  layers: BlobMsg[];
}

export interface IndexMsg {
  digest: string;
  mediaType: string;
  sources: string[];
  manifests: { digest: string; size: number; platform?: PlatformMsg }[];
}

export interface HelloMsg {
  protocolMajor: number;
  protocolMinor: number;
  node: string;
  agentVersion: string;
  containerdVersion: string;
  containerdRevision: string;
  namespace: string;
  socket: string;
  pollActiveMs: number;
  pollIdleMs: number;
  heartbeatMs: number;
}

export type HealthReason = 'unknown' | 'ok' | 'socket-missing' | 'permission-denied' | 'unavailable' | 'bad-answer';

export interface HealthMsg {
  containerdUp: boolean;
  error: string;
  reason: HealthReason;
  sinceMs: number;
  attempts: number;
  containerdVersion: string;
}

export interface SnapshotMsg {
  resync: boolean;
  containerdUp: boolean;
  ingests: IngestMsg[];
  manifests: ManifestMsg[];
  indexes: IndexMsg[];
}

export type IngestOutcome = 'committed' | 'aborted' | 'unknown';

export type FrameBody =
  | { hello: HelloMsg }
  | { snapshot: SnapshotMsg }
  | { ingests: { ingests: IngestMsg[] } }
  | { ingestGone: { ref: string; digest: string; outcome: IngestOutcome; lastOffset: number } }
  | { manifest: ManifestMsg }
  | { index: IndexMsg }
  | { image: { name: string; targetDigest: string; created: boolean } }
  | { contentDeleted: { digest: string } }
  | { heartbeat: { liveIngests: number; containerdUp: boolean; coalescedFrames: number } }
  | { health: HealthMsg };

export type Frame = { seq: number; atMs: number } & FrameBody;
