// The context list from the user's kubeconfigs, through the kube layer (kubectl merge rules and
// per-context checks). Only names, servers and problems leave this module: never credentials.
import { kubeconfigPaths, loadKubeconfigs } from '../kube/kubeconfig-source.ts';
import type { ContextList } from '../bridge/contract.ts';
import type { ContextSource } from './ports.ts';

export function kubeconfigContexts(env: NodeJS.ProcessEnv = process.env): ContextSource {
  return {
    listContexts(): ContextList {
      const snapshot = loadKubeconfigs(kubeconfigPaths(env), env.PATH ?? '');
      return {
        contexts: snapshot.contexts.map((c) => ({
          name: c.name,
          cluster: c.cluster,
          server: c.server,
          user: c.user,
          namespace: c.namespace,
          current: c.current,
          auth: c.auth,
          problems: c.problems,
        })),
        current: snapshot.current,
        files: snapshot.files.map((f) => ({ path: f.path, state: f.state, message: f.problems.length > 0 ? f.problems.join('; ') : undefined })),
      };
    },
  };
}
