// The agent installed WITHOUT a node selector on the lab's cluster, which has, besides the real
// kubelet node, nodes no kubelet runs (fake-node.sh: one Ready, one NotReady — a node whose kubelet
// died). The DaemonSet (tolerating every taint) puts a pod on each; those stay Pending. This must do
// no harm: the real node's pod runs and streams, the session says per node what is going on for
// the others (waiting, with the reason, and no connection attempts: no reconnect storm), and
// uninstall removes every pod, the Pending ones included, and the namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInput } from '../engine/types.ts';
import { ClusterSession } from '../kube/cluster-session.ts';
import { applyAgent, detectInstall, uninstallAgent } from '../kube/install.ts';
import { buildAgentBundle, kubectl, labAdmin, labScript, labSocket, requireLab, waitFor } from '../kube/lab.fixture.ts';
import { defaultInstallOptions, managedSelector } from '../kube/manifests.ts';
import type { NodeStreamStatus } from './node-streams.ts';

const suffix = Date.now().toString(36);
const namespace = `pulltrace-fake-${suffix}`;
const readyFake = `pt-fake-ready-${suffix}`;
const brokenFake = `pt-fake-notready-${suffix}`;
let bundle: { content: string };

beforeAll(() => {
  requireLab({ kubelet: true });
  bundle = buildAgentBundle();
  labScript('fake-node.sh', [readyFake, '--wait']);
  labScript('fake-node.sh', [brokenFake, '--not-ready']);
}, 180_000);
afterAll(() => {
  for (const node of [readyFake, brokenFake]) labScript('fake-node.sh', [node, '--delete']);
  // Only matters if a step failed before uninstall.
  kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
});

interface PodView { name: string; phase: string; node: string; containerStatuses: number }
function agentPods(): PodView[] {
  const out = kubectl(['-n', namespace, 'get', 'pods', '-l', managedSelector, '-o', 'json']);
  return (JSON.parse(out) as { items: { metadata: { name: string }; status: { phase: string; containerStatuses?: unknown[] }; spec: { nodeName?: string } }[] }).items
    .map((p) => ({ name: p.metadata.name, phase: p.status.phase, node: p.spec.nodeName ?? '', containerStatuses: p.status.containerStatuses?.length ?? 0 }));
}

describe('agent pods on nodes without a kubelet (lab)', () => {
  it('stay Pending without harm: the real node streams, the others say why, uninstall removes all', async () => {
    const kc = labAdmin();
    const applied = await applyAgent(kc, { ...defaultInstallOptions('0.1.0-fake'), namespace, image: 'lab.local/node:24', socket: { path: labSocket } }, bundle);
    expect(applied.applied).toHaveLength(4);

    const pods = await waitFor('an agent pod per node: Running on lab-kubelet, Pending on both fake nodes', () => {
      const all = agentPods();
      const byNode = new Map(all.map((p) => [p.node, p]));
      return byNode.get('lab-kubelet')?.phase === 'Running' && byNode.has(readyFake) && byNode.has(brokenFake) ? byNode : undefined;
    }, 90_000);
    for (const node of [readyFake, brokenFake]) expect(pods.get(node)).toMatchObject({ phase: 'Pending', containerStatuses: 0 });

    const inputs: EngineInput[] = [];
    const reported: NodeStreamStatus[] = [];
    const session = new ClusterSession({ context: 'lab-admin', buildConfig: labAdmin, agentNamespace: namespace, sink: (i) => inputs.push(i), onStreamStatus: (s) => reported.push(s) });
    expect(await session.start()).toMatchObject({ state: 'connected', preflight: { mode: 'install' } });
    try {
      await waitFor('agent.connected from lab-kubelet', () => inputs.find((i) => i.type === 'agent.connected' && i.node === 'lab-kubelet'), 60_000);
      // Longer than a reconcile period (5 s) plus the first back-off steps (1 s, 2 s): a loop
      // that retried the Pending pods would show up here as connecting/backoff statuses.
      await new Promise((resolve) => setTimeout(resolve, 9_000));

      const byNode = new Map(session.streamStatuses().map((s) => [s.node, s]));
      // A pod just Running may not listen yet (the agent first re-execs itself with its node
      // flags): the first attempts may fail and back off — a few, not a storm (3 seen under CI load).
      expect(byNode.get('lab-kubelet')).toMatchObject({ state: 'connected', pod: pods.get('lab-kubelet')?.name });
      expect(byNode.get('lab-kubelet')?.attempts).toBeLessThanOrEqual(3);
      for (const node of [readyFake, brokenFake]) {
        expect(byNode.get(node)).toEqual({
          node, state: 'waiting', pod: pods.get(node)?.name, attempts: 0,
          reason: `agent pod ${pods.get(node)?.name} is Pending: not started by the kubelet of node ${node} (no container status yet; is the node's kubelet running?)`,
        });
        // One status when first seen, never a connection attempt.
        const forNode = reported.filter((s) => s.node === node);
        expect(forNode.map((s) => s.state)).toEqual(['waiting']);
        expect(inputs.filter((i) => 'node' in i && i.node === node && i.type.startsWith('agent.'))).toEqual([]);
      }
      // The real node's stream, once up, was never disturbed by the others.
      expect(inputs.filter((i) => i.type === 'agent.disconnected')).toEqual([]);
      const real = reported.filter((s) => s.node === 'lab-kubelet').map((s) => s.state);
      expect(real.slice(real.indexOf('connected'))).toEqual(['connected']);
      expect(await detectInstall(kc, namespace)).toMatchObject({ desired: 3, ready: 1 });
    } finally {
      session.stop();
    }

    const removed = await uninstallAgent(kc, namespace);
    expect(removed.filter((r) => r.startsWith('Pod ')).sort()).toEqual([readyFake, brokenFake].map((n) => `Pod ${namespace}/${pods.get(n)?.name} (never started)`).sort());
    expect(removed).toContain(`Namespace ${namespace}`);
    // Without the forced delete of the never-started pods the namespace would stay Terminating.
    await waitFor('namespace gone', () => (kubectl(['get', 'namespace', namespace, '--ignore-not-found', '-o', 'name']) === '' ? true : undefined), 90_000, 1000);
    expect(kubectl(['get', 'pods', '-A', '-l', managedSelector, '-o', 'name'])).toBe('');
  });
});
