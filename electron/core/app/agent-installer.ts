// Install, upgrade and uninstall of the agent for a connected context, through the kube layer
// (manifest builder + server-side apply). The user sees the exact manifests first; applying needs
// the hash of that preview, so what is applied is what was shown (a changed bundle, version or
// namespace state makes a new preview necessary: `conflict`).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeKubeError } from '../kube/errors.ts';
import { kubeconfigPaths, loadKubeconfigs } from '../kube/kubeconfig-source.ts';
import { applyAgent, detectInstall, shouldManageNamespace, uninstallAgent } from '../kube/install.ts';
import { agentBundleFile, buildAgentManifests, defaultInstallOptions, manifestsYaml, socketHostPath, socketPresets, type AgentBundle, type AgentInstallOptions, type KubeObject } from '../kube/manifests.ts';
import { agentSocketPresets, type AgentSocket, type ManifestPreview } from '../bridge/contract.ts';
import { CommandError, type AgentInstaller } from './ports.ts';

export interface AgentInstallerOptions {
  /** Folder with pulltrace-agent.cjs (out/agent in a checkout, resources/agent when packaged). */
  agentDir: string;
  version: string;
  env?: NodeJS.ProcessEnv;
}

export function agentInstaller(options: AgentInstallerOptions): AgentInstaller {
  const env = options.env ?? process.env;
  const install = defaultInstallOptions(options.version);

  const configFor = (cluster: string): KubeConfig => {
    const config = loadKubeconfigs(kubeconfigPaths(env), env.PATH ?? '').clientFor(cluster);
    if (config === undefined) throw new CommandError('not-found', `context ${cluster} is missing or has problems`);
    return config;
  };
  const bundle = async (): Promise<AgentBundle> => {
    const file = path.join(options.agentDir, agentBundleFile);
    try {
      return { content: await readFile(file, 'utf8') };
    } catch {
      throw new CommandError('not-available', `the agent bundle ${file} is missing (build it with scripts/build-agent.ts)`);
    }
  };

  const build = async (cluster: string, action: ManifestPreview['action'], requested: AgentSocket | undefined) => {
    const kc = configFor(cluster);
    const existing = await detectInstall(kc, install.namespace);
    if (action === 'uninstall') {
      if (existing === undefined) throw new CommandError('not-found', `no agent installed by pulltrace in namespace ${install.namespace}`);
      const objects: ManifestPreview['objects'] = [
        { kind: 'DaemonSet', name: 'pulltrace-agent', namespace: install.namespace },
        { kind: 'ServiceAccount', name: 'pulltrace-agent', namespace: install.namespace },
        { kind: 'ConfigMap', name: 'pulltrace-agent-<bundle>', namespace: install.namespace },
        ...(existing.ownsNamespace ? [{ kind: 'Namespace', name: install.namespace }] : []),
      ];
      const yaml = `# Deletes the objects labelled app.kubernetes.io/managed-by=pulltrace-desktop in ${install.namespace}:\n${objects.map((o) => `# - ${o.kind} ${o.name}`).join('\n')}\n`;
      return { kc, yaml, objects, options: install };
    }
    // An upgrade keeps the socket the install chose unless the user picks another.
    const socket: AgentInstallOptions['socket'] = requested ?? (existing?.socket ? { path: existing.socket } : install.socket);
    const createNamespace = await shouldManageNamespace(kc, install.namespace);
    const options = { ...install, socket, createNamespace };
    const { objects } = buildAgentManifests(options, await bundle());
    const hostPath = socketHostPath(socket);
    const preset = agentSocketPresets.find((name) => socketPresets[name] === hostPath);
    return { kc, yaml: manifestsYaml(objects), objects: objects.map(describe), options, socket: { path: hostPath, ...(preset ? { preset } : {}) } };
  };

  return {
    preview: (cluster, action, socket) =>
      explained(async () => {
        const { yaml, objects, socket: used } = await build(cluster, action, socket);
        return { action, cluster, yaml, hash: hashOf(action, yaml), objects, ...(used ? { socket: used } : {}) };
      }),
    apply: (cluster, action, hash, socket) =>
      explained(async () => {
        const { kc, yaml, options: built } = await build(cluster, action, socket);
        if (hashOf(action, yaml) !== hash) throw new CommandError('conflict', 'the manifests changed since the preview: preview again');
        if (action === 'uninstall') await uninstallAgent(kc, install.namespace);
        else await applyAgent(kc, built, await bundle());
      }),
  };
}

/** API errors become the kube layer's sentences (`forbidden (403): …`), with a matching code. */
async function explained<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CommandError) throw error;
    const described = describeKubeError(error);
    throw new CommandError(described.kind === 'forbidden' || described.kind === 'unauthorized' ? 'forbidden' : 'failed', described.message);
  }
}

function describe(o: KubeObject): ManifestPreview['objects'][number] {
  return { kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace };
}

function hashOf(action: string, yaml: string): string {
  return createHash('sha256').update(`${action}\n${yaml}`).digest('hex');
}
