// Install, upgrade and uninstall of the agent: server-side apply of the builder's objects under
// our field manager (re-applying the same objects is a no-op, a new version patches in place and
// the DaemonSet rolls), detection of an existing install by its labels, and an uninstall that
// deletes exactly the objects carrying our managed-by label — the namespace only if we made it.
import { AppsV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig, type V1DaemonSet } from '@kubernetes/client-node';
import { agentName, annotations, buildAgentManifests, fieldManager, labels, managedSelector, type AgentBundle, type AgentInstallOptions } from './manifests.ts';

export interface ExistingInstall {
  namespace: string;
  version?: string;
  bundleSha256?: string;
  /** Pods the DaemonSet wants / has ready / runs the current template. */
  desired: number;
  ready: number;
  updated: number;
  /** The namespace carries our label: we created it and uninstall may delete it. */
  ownsNamespace: boolean;
  /** Host path of containerd's socket the install mounts (absent on installs made before it was recorded). */
  socket?: string;
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 404;
}

export async function detectInstall(kc: KubeConfig, namespace: string): Promise<ExistingInstall | undefined> {
  let ds: V1DaemonSet;
  try {
    ds = await kc.makeApiClient(AppsV1Api).readNamespacedDaemonSet({ name: agentName, namespace });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  if (ds.metadata?.labels?.[labels.managedBy] !== fieldManager) return undefined;
  return {
    namespace,
    version: ds.metadata.labels[labels.version],
    bundleSha256: ds.spec?.template.metadata?.annotations?.[annotations.bundleSha256],
    desired: ds.status?.desiredNumberScheduled ?? 0,
    ready: ds.status?.numberReady ?? 0,
    updated: ds.status?.updatedNumberScheduled ?? 0,
    ownsNamespace: await namespaceIsOurs(kc, namespace),
    ...(ds.metadata.annotations?.[annotations.socket] ? { socket: ds.metadata.annotations[annotations.socket] } : {}),
  };
}

async function namespaceIsOurs(kc: KubeConfig, namespace: string): Promise<boolean> {
  try {
    const ns = await kc.makeApiClient(CoreV1Api).readNamespace({ name: namespace });
    return ns.metadata?.labels?.[labels.managedBy] === fieldManager;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Whether the namespace must be created: absent, or present and ours from an earlier install.
 * A namespace the user made stays theirs (we neither label nor delete it). */
export async function shouldManageNamespace(kc: KubeConfig, namespace: string): Promise<boolean> {
  try {
    await kc.makeApiClient(CoreV1Api).readNamespace({ name: namespace });
  } catch (error) {
    if (isNotFound(error)) return true;
    throw error;
  }
  return namespaceIsOurs(kc, namespace);
}

export interface ApplyResult {
  applied: string[];
  /** Older bundle ConfigMaps removed after the DaemonSet moved to the new one. */
  removed: string[];
  bundleSha256: string;
}

const describe = (o: { kind: string; metadata: { name: string; namespace?: string } }) =>
  o.metadata.namespace ? `${o.kind} ${o.metadata.namespace}/${o.metadata.name}` : `${o.kind} ${o.metadata.name}`;

/**
 * Install or upgrade in place. `dryRun: true` asks the server to validate everything and persist
 * nothing (what `kubectl apply --dry-run=server` does); the namespace must then exist already,
 * since a dry-run namespace holds nothing.
 */
export async function applyAgent(kc: KubeConfig, options: AgentInstallOptions, bundle: AgentBundle, opts: { dryRun?: boolean } = {}): Promise<ApplyResult> {
  // Never take over a namespace the user made: only one that is absent or already ours is applied.
  const createNamespace = options.createNamespace && (await shouldManageNamespace(kc, options.namespace));
  const { objects, bundleSha256, configMapName } = buildAgentManifests({ ...options, createNamespace }, bundle);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const dryRun = opts.dryRun ? 'All' : undefined;
  const applied: string[] = [];
  for (const object of objects) {
    await api.patch(object, undefined, dryRun, fieldManager, true, PatchStrategy.ServerSideApply);
    applied.push(describe(object));
  }
  const removed = opts.dryRun ? [] : await removeOldBundles(kc, options.namespace, configMapName);
  return { applied, removed, bundleSha256 };
}

/**
 * The DaemonSet's pods go with it (garbage collection), gracefully: the node's kubelet confirms.
 * A pod bound to a node whose kubelet never reported it (no container status: a node without a
 * working kubelet) would stay Terminating forever, and with it the namespace. Nothing ever ran in
 * such a pod, so it is deleted at once (grace period 0); pods a kubelet knows are left to it.
 */
async function removeNeverStartedPods(core: CoreV1Api, namespace: string): Promise<string[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: managedSelector });
  const neverStarted = pods.items.filter((p) => p.status?.phase === 'Pending' && !p.status.containerStatuses?.length);
  const removed: string[] = [];
  for (const pod of neverStarted) {
    const name = pod.metadata?.name;
    if (!name) continue;
    try {
      await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    removed.push(`Pod ${namespace}/${name} (never started)`);
  }
  return removed;
}

async function removeOldBundles(kc: KubeConfig, namespace: string, keep: string): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace, labelSelector: managedSelector });
  const old = list.items.map((c) => c.metadata?.name ?? '').filter((name) => name !== '' && name !== keep);
  for (const name of old) await core.deleteNamespacedConfigMap({ name, namespace });
  return old.map((name) => `ConfigMap ${namespace}/${name}`);
}

/** Deletes what an install created: the DaemonSet, ServiceAccount and bundle ConfigMaps carrying
 * our label, agent pods no kubelet ever started, and the namespace if (and only if) it carries our
 * label too. */
export async function uninstallAgent(kc: KubeConfig, namespace: string): Promise<string[]> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const removed: string[] = [];
  const selected = { namespace, labelSelector: managedSelector };
  const kinds: [string, () => Promise<{ items: { metadata?: { name?: string } }[] }>, (name: string) => Promise<unknown>][] = [
    ['DaemonSet', () => apps.listNamespacedDaemonSet(selected), (name) => apps.deleteNamespacedDaemonSet({ name, namespace, propagationPolicy: 'Background' })],
    ['ServiceAccount', () => core.listNamespacedServiceAccount(selected), (name) => core.deleteNamespacedServiceAccount({ name, namespace })],
    ['ConfigMap', () => core.listNamespacedConfigMap(selected), (name) => core.deleteNamespacedConfigMap({ name, namespace })],
  ];
  for (const [kind, list, remove] of kinds) {
    for (const item of (await list()).items) {
      const name = item.metadata?.name;
      if (!name) continue;
      await remove(name);
      removed.push(`${kind} ${namespace}/${name}`);
    }
    if (kind === 'DaemonSet') removed.push(...(await removeNeverStartedPods(core, namespace)));
  }
  if (await namespaceIsOurs(kc, namespace)) {
    await core.deleteNamespace({ name: namespace });
    removed.push(`Namespace ${namespace}`);
  }
  return removed;
}
