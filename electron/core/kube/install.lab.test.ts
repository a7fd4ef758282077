// Install into a namespace the user already has: the app must neither label nor delete it, and
// uninstall removes only what the install created (lab API server; the agent need not start).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAgent, detectInstall, uninstallAgent } from './install.ts';
import { loadKubeconfigs } from './kubeconfig-source.ts';
import { freshNamespace, kubectl, labKubeconfig, labSocket, requireLab } from './lab.fixture.ts';
import { defaultInstallOptions, managedSelector } from './manifests.ts';

let ns: string;
beforeAll(async () => {
  requireLab();
  ns = await freshNamespace('pt-users-own');
  // Something of the user's in it, which uninstall must leave alone.
  kubectl(['-n', ns, 'create', 'configmap', 'users-config', '--from-literal=a=1']);
});
afterAll(() => {
  if (ns) kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('install into an existing namespace (lab)', () => {
  it('leaves the namespace and the user’s objects alone, and uninstall removes exactly what it made', async () => {
    const kc = loadKubeconfigs([labKubeconfig], '').clientFor('lab-admin');
    if (!kc) throw new Error('lab-admin not usable');
    // createNamespace asked for, but the namespace is the user's: it is not applied.
    const result = await applyAgent(kc, { ...defaultInstallOptions('0.0.1-own'), namespace: ns, image: 'lab.local/node:24', socket: { path: labSocket }, nodeSelector: { 'lab-kube/kubelet': 'true' } }, { content: 'console.log("stand-in bundle")\n' });
    expect(result.applied.map((a) => a.split(' ')[0])).toEqual(['ServiceAccount', 'ConfigMap', 'DaemonSet']);
    expect(kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by}'])).toBe('');
    expect(await detectInstall(kc, ns)).toMatchObject({ version: '0.0.1-own', ownsNamespace: false });

    const removed = await uninstallAgent(kc, ns);
    expect(removed.map((r) => r.split(' ')[0])).toEqual(['DaemonSet', 'ServiceAccount', 'ConfigMap']);
    expect(kubectl(['get', 'namespace', ns, '-o', 'name'])).toBe(`namespace/${ns}`);
    expect(kubectl(['-n', ns, 'get', 'daemonset,serviceaccount,configmap', '-l', managedSelector, '-o', 'name'])).toBe('');
    expect(kubectl(['-n', ns, 'get', 'configmap', 'users-config', '-o', 'name'])).toBe('configmap/users-config');
    expect(await detectInstall(kc, ns)).toBeUndefined();
  });
});
