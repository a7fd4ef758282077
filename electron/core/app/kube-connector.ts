// Connects a kubeconfig context through the kube layer's ClusterSession (connection check, RBAC
// preflight, kube watches, per-node agent streams) and reports its state as a ClusterStatus.
import { ClusterSession } from '../kube/cluster-session.ts';
import type { ConnectionStatus } from '../kube/connection.ts';
import { kubeconfigPaths, loadKubeconfigs } from '../kube/kubeconfig-source.ts';
import type { NodeStreamStatus } from '../agents/node-streams.ts';
import type { ClusterStatus } from '../bridge/contract.ts';
import { CommandError, type ClusterConnector } from './ports.ts';

export const DEFAULT_AGENT_NAMESPACE = 'pulltrace';

type StatusPatch = Omit<ClusterStatus, 'id' | 'label' | 'kind'>;

export function kubeConnector(env: NodeJS.ProcessEnv = process.env, agentNamespace = DEFAULT_AGENT_NAMESPACE): ClusterConnector {
  return {
    async connect(context, sink, onStatus) {
      // Read the kubeconfig again on every (re)build: a refreshed token file or a fixed context is picked up.
      const buildConfig = () => {
        const config = loadKubeconfigs(kubeconfigPaths(env), env.PATH ?? '').clientFor(context);
        if (config === undefined) throw new CommandError('not-found', `context ${context} is missing or has problems (see the context list)`);
        return config;
      };
      const streams = new Map<string, NodeStreamStatus>();
      // Set once the preflight is known; stream statuses before that are kept and reported with it.
      const current: { base?: StatusPatch } = {};
      const report = (): void => {
        const base = current.base;
        if (base === undefined) return;
        const connected = [...streams.values()].filter((s) => s.state === 'connected').length;
        onStatus({ ...base, agent: base.mode === 'agent' ? { installed: streams.size > 0, nodesConnected: connected, nodesTotal: streams.size } : undefined });
      };
      const session = new ClusterSession({
        context,
        buildConfig,
        agentNamespace,
        sink,
        onStreamStatus: (status) => {
          streams.set(status.node, status);
          report();
        },
      });
      const status = await session.start();
      if (status.state === 'failed') {
        session.stop();
        throw new CommandError(status.error.kind === 'forbidden' || status.error.kind === 'unauthorized' ? 'forbidden' : 'failed', status.error.message);
      }
      current.base = connectedStatus(status);
      report();
      return {
        async close() {
          session.stop();
        },
      };
    },
  };
}

function connectedStatus(status: Extract<ConnectionStatus, { state: 'connected' }>): StatusPatch {
  const { preflight } = status;
  const mode = preflight.mode === 'install' || preflight.mode === 'agent' ? 'agent' : preflight.mode;
  return {
    state: preflight.mode === 'none' ? 'degraded' : 'connected',
    mode,
    message: `${status.server} (Kubernetes ${status.serverVersion}): ${preflight.summary}`,
    missing: Object.entries(preflight.missing).flatMap(([feature, sentences]) => sentences.map((sentence) => ({ feature, sentence }))),
  };
}
