// One connection per kubeconfig context: reachability, authentication and the RBAC preflight,
// with every failure turned into a KubeError. Several connections live side by side (one per
// cluster the user watches); nothing here is shared between them.
import { AuthorizationV1Api, VersionApi, type KubeConfig } from '@kubernetes/client-node';
import { describeKubeError, type KubeError } from './errors.ts';
import { runPreflight, type Preflight } from './rbac.ts';

export type ConnectionStatus =
  | { state: 'connected'; context: string; server: string; serverVersion: string; preflight: Preflight }
  | { state: 'failed'; context: string; server?: string; error: KubeError };

export class ClusterConnection {
  private config: KubeConfig;
  readonly context: string;
  private readonly buildConfig: () => KubeConfig;

  /** `buildConfig` makes a fresh KubeConfig (e.g. `snapshot.clientFor(name)`), called again after a 401. */
  constructor(context: string, buildConfig: () => KubeConfig) {
    this.context = context;
    this.buildConfig = buildConfig;
    this.config = buildConfig();
  }

  get kubeConfig(): KubeConfig {
    return this.config;
  }

  get server(): string | undefined {
    return this.config.getCurrentCluster()?.server;
  }

  /**
   * Runs `call` with the current config; on a 401, builds a new config and tries once more.
   * client-node keeps exec-plugin tokens cached (forever, without an expirationTimestamp) and
   * never retries on 401 (kubernetes-client/javascript #228, #891); a new KubeConfig has an empty
   * cache, re-reads tokenFile and re-runs the plugin.
   */
  async withAuthRetry<T>(call: (config: KubeConfig) => Promise<T>): Promise<T> {
    try {
      return await call(this.config);
    } catch (error) {
      if (describeKubeError(error).kind !== 'unauthorized') throw error;
      this.config = this.buildConfig();
      return call(this.config);
    }
  }

  /** Server version, then what this user may do. Never throws. */
  async check(agentNamespace: string): Promise<ConnectionStatus> {
    try {
      const version = await this.withAuthRetry((kc) => kc.makeApiClient(VersionApi).getCode());
      const preflight = await this.withAuthRetry((kc) => runPreflight(kc.makeApiClient(AuthorizationV1Api), agentNamespace));
      return { state: 'connected', context: this.context, server: this.server ?? '', serverVersion: version.gitVersion, preflight };
    } catch (error) {
      return { state: 'failed', context: this.context, server: this.server, error: this.describe(error) };
    }
  }

  /** client-node rejects with the bare stderr of an exec plugin that exits non-zero; with an exec
   * user, an error that is neither HTTP nor network can only have come from the plugin. */
  private describe(error: unknown): KubeError {
    const described = describeKubeError(error, this.server);
    if (described.kind === 'other' && described.status === undefined && this.config.getCurrentUser()?.exec) {
      return { kind: 'exec-plugin', message: `exec credential plugin failed: ${described.message}` };
    }
    return described;
  }
}
