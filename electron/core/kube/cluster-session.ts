// Everything one watched cluster needs, started in the best mode the user's rights allow:
// connect and preflight, then the kube watches (events-only and correlation) and, when an agent
// may be reached, the per-node agent streams — kubelet Pulling events tell the streams which
// nodes are active. Several sessions (one per context) run side by side; the composition root
// gives each its own engine and sink, so switching contexts keeps every cluster's state.
import type { KubeConfig } from '@kubernetes/client-node';
import { AgentStreams, type NodeStreamStatus } from '../agents/node-streams.ts';
import type { EngineInput } from '../engine/types.ts';
import { ClusterWatches } from './cluster-watches.ts';
import { ClusterConnection, type ConnectionStatus } from './connection.ts';
import type { WatchStatus } from './list-watch.ts';

export interface ClusterSessionOptions {
  context: string;
  /** A fresh client configuration for the context (e.g. `snapshot.clientFor(name)`). */
  buildConfig: () => KubeConfig;
  agentNamespace: string;
  sink: (input: EngineInput) => void;
  onWatchStatus?: (status: WatchStatus) => void;
  onStreamStatus?: (status: NodeStreamStatus) => void;
}

export class ClusterSession {
  private readonly connection: ClusterConnection;
  private readonly options: ClusterSessionOptions;
  private watches: ClusterWatches | undefined;
  private streams: AgentStreams | undefined;

  constructor(options: ClusterSessionOptions) {
    this.options = options;
    this.connection = new ClusterConnection(options.context, options.buildConfig);
  }

  /** Checks the connection and starts what the preflight allows; the status says what and why. */
  async start(): Promise<ConnectionStatus> {
    const status = await this.connection.check(this.options.agentNamespace);
    if (status.state !== 'connected') return status;
    const config = () => this.connection.kubeConfig;
    const { features } = status.preflight;
    if (features.agent) {
      this.streams = new AgentStreams({ config, namespace: this.options.agentNamespace, sink: this.options.sink, status: this.options.onStreamStatus });
      this.streams.start();
    }
    if (features.events) {
      this.watches = new ClusterWatches({
        config,
        status: this.options.onWatchStatus,
        sink: (input) => {
          if (input.type === 'kube.event' && input.reason === 'Pulling' && input.node) this.streams?.noteActivity(input.node);
          this.options.sink(input);
        },
      });
      this.watches.start();
    }
    return status;
  }

  stop(): void {
    this.watches?.stop();
    this.streams?.stop();
  }

  streamStatuses(): NodeStreamStatus[] {
    return this.streams?.statuses() ?? [];
  }
}
