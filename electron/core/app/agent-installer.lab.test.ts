// What is applied is what the user was shown: against the kube lab's real apiserver, applying with
// a hash other than the preview's is refused with `conflict` and creates nothing; the containerd
// socket chosen at install is part of what was shown, and an upgrade keeps it. (Running the
// installed agent is what the install lab tests and the end-to-end pipeline test do.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, labKubeconfig, labSocket, requireLab, waitFor } from '../kube/lab.fixture.ts';
import { agentInstaller } from './agent-installer.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
// A version no other test installs: the objects it would create carry it as a label.
const version = `conflict-${Date.now().toString(36)}`;
let agentDir: string;

beforeAll(() => {
  requireLab();
  agentDir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-installer-'));
  execFileSync(process.execPath, [path.join(repo, 'scripts/build-agent.ts'), '--outdir', agentDir], { cwd: repo, stdio: 'pipe', timeout: 120_000 });
});
afterAll(() => rmSync(agentDir, { recursive: true, force: true }));

describe('agent install applies only what was previewed (lab)', () => {
  it('a hash that is not the preview’s is refused with conflict and nothing is created', async () => {
    const installer = agentInstaller({ agentDir, version, env: { KUBECONFIG: labKubeconfig, PATH: process.env.PATH } });
    const preview = await installer.preview('lab-admin', 'install');
    expect(preview.objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['DaemonSet', 'ConfigMap', 'ServiceAccount']));
    expect(preview.hash).toMatch(/^[0-9a-f]{64}$/);

    const tampered = preview.hash.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await expect(installer.apply('lab-admin', 'install', tampered)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('preview again') });
    const created = kubectl(['get', 'daemonsets,configmaps,serviceaccounts', '-A', '-l', `app.kubernetes.io/version=${version}`, '-o', 'name']);
    expect(created).toBe('');
  });

  it('the socket chosen at install is kept by an upgrade, another one is previewed anew, and is part of what was shown', async () => {
    const installer = agentInstaller({ agentDir, version, env: { KUBECONFIG: labKubeconfig, PATH: process.env.PATH } });
    const namespaceGone = (): true | undefined => (kubectl(['get', 'namespace', 'pulltrace', '--ignore-not-found', '-o', 'name']) === '' ? true : undefined);
    // an earlier test's install may still be going away
    await waitFor('no pulltrace namespace', namespaceGone, 120_000, 1_000);
    const socket = { path: labSocket };
    const install = await installer.preview('lab-admin', 'install', socket);
    expect(install.socket).toEqual(socket);
    try {
      await installer.apply('lab-admin', 'install', install.hash, socket);
      expect(kubectl(['-n', 'pulltrace', 'get', 'daemonset', 'pulltrace-agent', '-o', 'jsonpath={.spec.template.spec.volumes[0].hostPath.path}'])).toBe(path.dirname(labSocket));

      const upgrade = await installer.preview('lab-admin', 'upgrade');
      expect(upgrade.socket).toEqual(socket);
      expect(upgrade.yaml).toContain(`path: ${path.dirname(labSocket)}\n`);
      const k3s = await installer.preview('lab-admin', 'upgrade', 'k3s');
      expect(k3s.socket).toEqual({ path: '/run/k3s/containerd/containerd.sock', preset: 'k3s' });
      expect(k3s.hash).not.toBe(upgrade.hash);
      // the hash of the kept-socket preview does not apply another socket
      await expect(installer.apply('lab-admin', 'upgrade', upgrade.hash, 'k3s')).rejects.toMatchObject({ code: 'conflict' });
    } finally {
      const uninstall = await installer.preview('lab-admin', 'uninstall');
      await installer.apply('lab-admin', 'uninstall', uninstall.hash);
    }
    expect(kubectl(['get', 'daemonsets,configmaps,serviceaccounts', '-A', '-l', `app.kubernetes.io/version=${version}`, '-o', 'name'])).toBe('');
  });
});
