// End to end on the lab's real node (apiserver + kubelet + containerd): the app's manifests pass
// a server-side dry run, the agent is installed with them and runs on lab-kubelet from the
// hash-verified ConfigMap bundle, the stream manager reaches it through a real port-forward,
// an upgrade replaces the pod and the stream reconnects, and uninstall leaves nothing behind.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentInput } from '../engine/types.ts';
import { detectInstall, applyAgent, shouldManageNamespace, uninstallAgent } from '../kube/install.ts';
import { buildAgentBundle, kubectl, labAdmin as admin, labSocket, requireLab, waitFor } from '../kube/lab.fixture.ts';
import { buildAgentManifests, defaultInstallOptions, managedSelector, manifestsYaml, type AgentInstallOptions } from '../kube/manifests.ts';
import { projectVersion } from '../kube/chart.ts';
import { renderChart } from '../kube/chart-render.fixture.ts';
import { AgentStreams, type NodeStreamStatus } from './node-streams.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
let bundle: { content: string };
const namespace = `pulltrace-e2e-${Date.now().toString(36)}`;

beforeAll(() => {
  requireLab({ kubelet: true });
  bundle = buildAgentBundle();
});
afterAll(() => {
  // Only matters if a step failed before uninstall: leave the lab clean for the next run.
  kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
});

function committedChart(): Record<string, string> {
  const dir = path.join(repo, 'charts/pulltrace-agent');
  const files: Record<string, string> = { 'values.yaml': readFileSync(path.join(dir, 'values.yaml'), 'utf8') };
  for (const name of readdirSync(path.join(dir, 'templates'))) files[`templates/${name}`] = readFileSync(path.join(dir, 'templates', name), 'utf8');
  return files;
}

interface AgentPodView { name: string; uid: string; phase: string; node: string }
function agentPods(): AgentPodView[] {
  const out = kubectl(['-n', namespace, 'get', 'pods', '-l', managedSelector, '-o', 'json']);
  return (JSON.parse(out) as { items: { metadata: { name: string; uid: string; deletionTimestamp?: string }; status: { phase: string }; spec: { nodeName?: string } }[] }).items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => ({ name: p.metadata.name, uid: p.metadata.uid, phase: p.status.phase, node: p.spec.nodeName ?? '' }));
}

describe('agent install and streams (lab, real kubelet)', () => {
  it('install → Running on lab-kubelet → streaming through port-forward → upgrade → uninstall', async () => {
    const kc = admin();
    const options: AgentInstallOptions = {
      ...defaultInstallOptions('0.1.0-lab'),
      namespace,
      createNamespace: await shouldManageNamespace(kc, namespace),
      image: 'lab.local/node:24',
      socket: { path: labSocket },
      nodeSelector: { 'lab-kube/kubelet': 'true' },
    };
    expect(options.createNamespace).toBe(true);
    expect(await detectInstall(kc, namespace)).toBeUndefined();

    const first = await applyAgent(kc, options, bundle);
    expect(first.applied).toEqual([
      `Namespace ${namespace}`, `ServiceAccount ${namespace}/pulltrace-agent`, `ConfigMap ${namespace}/pulltrace-agent-${first.bundleSha256.slice(0, 12)}`, `DaemonSet ${namespace}/pulltrace-agent`,
    ]);
    // The same objects pass the API server's own validation without being persisted.
    const dry = await applyAgent(kc, { ...options, version: 'dry' }, { content: `${bundle.content}\n// dry` }, { dryRun: true });
    expect(dry.applied).toHaveLength(4);
    expect(kubectl(['-n', namespace, 'get', 'configmap', '-l', managedSelector, '-o', 'name']).split('\n')).toHaveLength(1);
    // kubectl's own server dry run of the app's manifests and of the committed chart rendered with
    // its defaults. Server-side: a client-side `kubectl apply` copies the whole object into the
    // last-applied-configuration annotation, which the bundle ConfigMap exceeds (256 KiB limit).
    const { objects } = buildAgentManifests({ ...options, createNamespace: false }, bundle);
    expect(kubectl(['-n', namespace, 'apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], manifestsYaml(objects, { elideBundle: false }))).toMatch(/daemonset\.apps\/pulltrace-agent \S+ \(server dry run\)/);
    const chart = committedChart();
    const rendered = renderChart(chart, parse(chart['values.yaml']!) as Record<string, unknown>, bundle.content, projectVersion(repo), namespace);
    expect(kubectl(['-n', namespace, 'apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], rendered.map((o) => stringify(o)).join('---\n'))).toMatch(/daemonset\.apps\/pulltrace-agent \S+ \(server dry run\)/);

    const pod = await waitFor('agent pod Running', () => agentPods().find((p) => p.phase === 'Running'), 60_000);
    expect(pod.node).toBe('lab-kubelet');
    const installed = await waitFor('DaemonSet ready', async () => {
      const found = await detectInstall(kc, namespace);
      return found && found.ready === 1 ? found : undefined;
    }, 60_000);
    expect(installed).toMatchObject({ version: '0.1.0-lab', bundleSha256: first.bundleSha256, desired: 1, ownsNamespace: true });

    const inputs: AgentInput[] = [];
    const statuses: NodeStreamStatus[] = [];
    let upgradedSha = '';
    const streams = new AgentStreams({ config: admin, namespace, sink: (i) => inputs.push(i), status: (s) => statuses.push(s), reconcileMs: 500, backoffBaseMs: 300 });
    streams.start();
    try {
      // A desktop that connects within moments of the agent's start gets a Hello with no containerd
      // version (the agent has not reached containerd yet); the health frame that follows brings it
      // as a second agent.connected.
      const hello = await waitFor('agent.connected with containerd\'s version, through the port-forward', () => inputs.find((i) => i.type === 'agent.connected' && i.containerdVersion !== ''), 60_000);
      expect(hello).toMatchObject({ node: 'lab-kubelet', containerdVersion: expect.stringMatching(/^v?1\.6/) });
      await waitFor('a snapshot from the agent', () => inputs.find((i) => i.type === 'agent.snapshot' && i.node === 'lab-kubelet'));
      expect(streams.statuses()).toEqual([expect.objectContaining({ node: 'lab-kubelet', state: 'connected', pod: pod.name })]);

      // Upgrade in place: new bundle and version → new ConfigMap, the DaemonSet rolls, the stream follows.
      const beforeUpgrade = inputs.length;
      const upgraded = await applyAgent(kc, { ...options, version: '0.1.1-lab' }, { content: `${bundle.content}\n// upgrade\n` });
      upgradedSha = upgraded.bundleSha256;
      expect(upgraded.removed).toEqual([`ConfigMap ${namespace}/pulltrace-agent-${first.bundleSha256.slice(0, 12)}`]);
      const replacement = await waitFor('a new agent pod Running', () => agentPods().find((p) => p.phase === 'Running' && p.uid !== pod.uid), 90_000);
      await waitFor('the stream reconnected to the new pod', () => {
        const connected = streams.statuses().find((s) => s.state === 'connected' && s.pod === replacement.name);
        return connected && inputs.slice(beforeUpgrade).some((i) => i.type === 'agent.connected') ? connected : undefined;
      }, 60_000);
      expect(inputs.slice(beforeUpgrade).some((i) => i.type === 'agent.disconnected' && i.node === 'lab-kubelet')).toBe(true);
      expect((await detectInstall(kc, namespace))?.version).toBe('0.1.1-lab');
    } finally {
      streams.stop();
    }

    const removed = await uninstallAgent(kc, namespace);
    expect(removed).toEqual([
      `DaemonSet ${namespace}/pulltrace-agent`, `ServiceAccount ${namespace}/pulltrace-agent`, `ConfigMap ${namespace}/pulltrace-agent-${upgradedSha.slice(0, 12)}`, `Namespace ${namespace}`,
    ]);
    await waitFor('namespace gone', () => (kubectl(['get', 'namespace', namespace, '--ignore-not-found', '-o', 'name']) === '' ? true : undefined), 90_000, 1000);
  });
});
