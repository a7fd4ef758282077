// The real backends of the app, shared by serve mode and the Electron shell: kubeconfig contexts and
// cluster sessions (kube + agents) and the persistent history store. Only what needs an open
// resource is closed.
import { createAppHistory } from '../history/app-history.ts';
import { historyDir } from '../history/paths.ts';
import { HistoryStore } from '../history/store.ts';
import { kubeconfigContexts } from './kube-contexts.ts';
import { kubeConnector } from './kube-connector.ts';
import { agentInstaller } from './agent-installer.ts';
import type { AppOptions } from './app.ts';

export interface BackendOptions {
  env?: NodeJS.ProcessEnv;
  /** The app's data folder (Electron: userData); history goes to `<dataDir>/history` unless overridden. */
  dataDir?: string;
  /** An explicit history folder (serve mode's --history-dir). */
  historyDir?: string;
  /** Folder of the agent bundle to install (out/agent, or resources/agent when packaged). */
  agentDir: string;
  /** The app's version: the installed agent is labelled with it (an older label means "upgrade"). */
  version: string;
  log?: (message: string) => void;
}

export interface Backends extends Pick<AppOptions, 'contexts' | 'connector' | 'history' | 'installer'> {
  /** Where history is kept (printed by serve mode). */
  historyPath: string;
  close(): void;
}

export function openBackends(options: BackendOptions): Backends {
  const env = options.env ?? process.env;
  const log = options.log ?? ((message: string) => console.warn(`[pulltrace] ${message}`));
  const historyPath = historyDir({ flag: options.historyDir, dataDir: options.dataDir, env });
  const store = HistoryStore.open({ dir: historyPath });
  return {
    contexts: kubeconfigContexts(env),
    connector: kubeConnector(env),
    installer: agentInstaller({ agentDir: options.agentDir, version: options.version, env }),
    history: createAppHistory(store, { onError: (error) => log(error === undefined ? 'history writes work again' : `history: ${error.message}`) }),
    historyPath,
    close: () => store.close(),
  };
}
