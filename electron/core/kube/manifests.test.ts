import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildAgentManifests, defaultInstallOptions, launcherScript, manifestsYaml, maxBundleBytes, sha256, type KubeObject } from './manifests.ts';

const bundle = { content: 'console.log("agent", process.env.PULLTRACE_NODE_NAME ?? "");\n' };

type Pod = { securityContext: Record<string, unknown>; tolerations: unknown[]; nodeSelector: Record<string, string>; containers: Record<string, unknown>[]; volumes: Record<string, unknown>[] };
const podSpec = (objects: KubeObject[]): Pod => {
  const ds = objects.find((o) => o.kind === 'DaemonSet') as unknown as { spec: { template: { spec: Pod } } };
  return ds.spec.template.spec;
};

describe('agent manifests', () => {
  it('default: namespace, service account, content-hashed immutable ConfigMap, DaemonSet', () => {
    const m = buildAgentManifests(defaultInstallOptions('0.1.0'), bundle);
    expect(m.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/pulltrace', 'ServiceAccount/pulltrace-agent', `ConfigMap/pulltrace-agent-${sha256(bundle.content).slice(0, 12)}`, 'DaemonSet/pulltrace-agent',
    ]);
    const cm = m.objects[2]!;
    expect(cm).toMatchObject({ immutable: true, data: { 'pulltrace-agent.cjs': bundle.content } });
    expect(m.objects[1]).toMatchObject({ automountServiceAccountToken: false });
    for (const o of m.objects) expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'pulltrace-desktop', 'app.kubernetes.io/version': '0.1.0' });
  });

  it('least privilege: non-root with the socket group, no capabilities, read-only root, socket read-only, all taints tolerated', () => {
    const pod = podSpec(buildAgentManifests(defaultInstallOptions('1'), bundle).objects);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, supplementalGroups: [0], seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod.containers[0]!;
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.image).toBe('node:24-slim');
    expect(container.volumeMounts).toContainEqual({ name: 'containerd-socket', mountPath: '/run/pulltrace/containerd', readOnly: true });
    expect(container.env).toContainEqual({ name: 'PULLTRACE_SOCKET', value: '/run/pulltrace/containerd/containerd.sock' });
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    // the socket's directory, so a restarted containerd's new socket file is seen (a file mount keeps the old one)
    expect(pod.volumes[0]).toEqual({ name: 'containerd-socket', hostPath: { path: '/run/containerd', type: 'Directory' } });
    expect(container.resources).toEqual({ requests: { cpu: '10m', memory: '48Mi' }, limits: { cpu: '250m', memory: '160Mi' } });
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 7442, protocol: 'TCP' }]);
  });

  it('socket presets and explicit paths, lab image, node selector, existing namespace', () => {
    const hostPathOf = (socket: Parameters<typeof buildAgentManifests>[0]['socket']) =>
      podSpec(buildAgentManifests({ ...defaultInstallOptions('1'), socket }, bundle).objects).volumes[0];
    expect(hostPathOf('k3s')).toMatchObject({ hostPath: { path: '/run/k3s/containerd' } });
    expect(hostPathOf('rke2')).toMatchObject({ hostPath: { path: '/run/k3s/containerd' } });
    expect(hostPathOf('microk8s')).toMatchObject({ hostPath: { path: '/var/snap/microk8s/common/run' } });
    const custom = buildAgentManifests({ ...defaultInstallOptions('1'), socket: { path: '/var/cache/lab-kube/containerd/k8s.sock' } }, bundle).objects;
    expect(podSpec(custom).volumes[0]).toMatchObject({ hostPath: { path: '/var/cache/lab-kube/containerd' } });
    expect(podSpec(custom).containers[0]!.env).toContainEqual({ name: 'PULLTRACE_SOCKET', value: '/run/pulltrace/containerd/k8s.sock' });
    // recorded on the DaemonSet, so an upgrade keeps it
    expect(custom.find((o) => o.kind === 'DaemonSet')?.metadata.annotations).toEqual({ 'pulltrace.dev/containerd-socket': '/var/cache/lab-kube/containerd/k8s.sock' });
    const lab = buildAgentManifests({ ...defaultInstallOptions('1'), image: 'lab.local/node:24', createNamespace: false, nodeSelector: { 'lab-kube/kubelet': 'true' } }, bundle);
    expect(lab.objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'ConfigMap', 'DaemonSet']);
    expect(podSpec(lab.objects).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'lab-kube/kubelet': 'true' });
  });

  it('a new bundle gives a new ConfigMap name and pod annotation (so the DaemonSet rolls)', () => {
    const a = buildAgentManifests(defaultInstallOptions('1'), bundle);
    const b = buildAgentManifests(defaultInstallOptions('1'), { content: `${bundle.content}// v2\n` });
    expect(a.configMapName).not.toBe(b.configMapName);
    expect(a.bundleSha256).not.toBe(b.bundleSha256);
  });

  it('refuses a bundle that does not fit a ConfigMap', () => {
    expect(() => buildAgentManifests(defaultInstallOptions('1'), { content: 'x'.repeat(maxBundleBytes + 1) })).toThrow(/a ConfigMap holds at most/);
  });

  it('the preview is valid multi-document YAML with the bundle elided', () => {
    const m = buildAgentManifests(defaultInstallOptions('1'), bundle);
    const text = manifestsYaml(m.objects);
    const docs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'ServiceAccount', 'ConfigMap', 'DaemonSet']);
    expect((docs[2]!.data as Record<string, string>)['pulltrace-agent.cjs']).toBe(`<agent bundle, ${bundle.content.length} bytes, sha256 ${m.bundleSha256}>`);
    expect(docs[3]).toEqual(m.objects[3]);
  });

  it('the launcher runs the bundle only when its sha256 matches (real node -e, no shell)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-launcher-'));
    try {
      const file = path.join(dir, 'pulltrace-agent.cjs');
      writeFileSync(file, bundle.content);
      const script = launcherScript().replace('/opt/pulltrace/pulltrace-agent.cjs', file);
      const ok = execFileSync(process.execPath, ['-e', script], { env: { PULLTRACE_BUNDLE_SHA256: sha256(bundle.content), PULLTRACE_NODE_NAME: 'n1' }, encoding: 'utf8' });
      expect(ok).toBe('agent n1\n');
      const bad = spawnSync(process.execPath, ['-e', script], { env: { PULLTRACE_BUNDLE_SHA256: '0'.repeat(64) }, encoding: 'utf8' });
      expect(bad.status).toBe(78);
      expect(bad.stderr).toContain('refusing to start');
      expect(bad.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
