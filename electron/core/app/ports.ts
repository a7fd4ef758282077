// The seams of the composition root: what the app needs from the engine, the kube layer, the agent
// installer and the history store. Each backend is optional except the engine; a command whose
// backend is absent answers `not-available` instead of pretending to work.
import type { EngineDelta, EngineInput, FinishedPull, NodeView, PullDetailView, PullView, ThroughputSeries } from '../engine/types.ts';
import type { AgentSocket, ClusterStatus, ContextList, HistoryQuery, ManifestPreview } from '../bridge/contract.ts';

/** The engine's API (electron/core/engine `createEngine`). */
export interface PullEngine {
  apply(input: EngineInput): void;
  /** What changed since the last drain. */
  drain(): EngineDelta;
  pulls(): PullView[];
  /** One live pull with its layers. */
  pull(id: string): PullDetailView | undefined;
  nodes(): NodeView[];
  series(): ThroughputSeries;
}
export type EngineFactory = (cluster: string) => PullEngine;

/** A live connection to one cluster, owned by the kube layer: it feeds the engine's inputs and
 * reports its status until closed (closing stops watches, streams and port-forwards). */
export interface ClusterConnection {
  close(): Promise<void>;
}

/** The kubeconfig contexts the user has (electron/core/kube). */
export interface ContextSource {
  listContexts(): ContextList;
}

/** Connects a context: watches, agent streams, port-forwards (electron/core/kube + agents). */
export interface ClusterConnector {
  connect(
    context: string,
    sink: (input: EngineInput) => void,
    onStatus: (status: Omit<ClusterStatus, 'id' | 'label' | 'kind'>) => void,
  ): Promise<ClusterConnection>;
}

export interface AgentInstaller {
  preview(cluster: string, action: ManifestPreview['action'], socket?: AgentSocket): Promise<ManifestPreview>;
  /** Applies exactly the previewed manifests (same action and socket); rejects when `hash` is not the current preview's. */
  apply(cluster: string, action: ManifestPreview['action'], hash: string, socket?: AgentSocket): Promise<void>;
}

export interface HistoryRows {
  rows: FinishedPull[];
  truncated: boolean;
}

export interface HistoryStore {
  /** Each drain's upserts, before its finished pulls: the store samples a per-pull rate series. */
  observe?(pulls: readonly PullView[]): void;
  record(pulls: readonly FinishedPull[]): void;
  query(query: HistoryQuery): Promise<HistoryRows>;
  exportCsv(query: HistoryQuery): Promise<{ csv: string; rows: number }>;
}

/** An error a backend throws to choose the code the renderer sees. */
export class CommandError extends Error {
  readonly code: 'not-found' | 'forbidden' | 'conflict' | 'failed' | 'not-available' | 'cancelled';
  constructor(code: CommandError['code'], message: string) {
    super(message);
    this.code = code;
  }
}
