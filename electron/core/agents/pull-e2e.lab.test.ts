// The whole data path on the lab's real single-node cluster: the app installs the agent, a
// ClusterSession watches kubelet events and streams the agent through a real port-forward, a pod
// pulls an image through the throttle proxy, and the real engine shows it downloading with a rate,
// then done, from both sources, with its pod.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, defaultEngineConfig } from '../engine/index.ts';
import type { PullView } from '../engine/types.ts';
import { ClusterSession } from '../kube/cluster-session.ts';
import { applyAgent, uninstallAgent } from '../kube/install.ts';
import { buildAgentBundle, kubectl, labAdmin as admin, labScript, labSocket, removeLeftoverContainers, requireLab, waitFor } from '../kube/lab.fixture.ts';
import { defaultInstallOptions } from '../kube/manifests.ts';

const namespace = `pulltrace-pull-${Date.now().toString(36)}`;
const image = '127.0.0.1:5001/lab/alpha-run:v1';
let bundle: { content: string };

beforeAll(() => {
  requireLab({ kubelet: true });
  bundle = buildAgentBundle();
});
afterAll(() => {
  kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
});

describe('image pull end to end (lab)', () => {
  it('a throttled pull is seen downloading with a rate, then done, from agent and kubelet events', async () => {
    const kc = admin();
    await applyAgent(kc, { ...defaultInstallOptions('e2e'), namespace, image: 'lab.local/node:24', socket: { path: labSocket }, nodeSelector: { 'lab-kube/kubelet': 'true' } }, bundle);
    await waitFor('agent pod Running', () => kubectl(['-n', namespace, 'get', 'pods', '-o', 'jsonpath={.items[*].status.phase}']).split(' ').includes('Running') || undefined, 90_000);

    // Make the next pull of alpha-run cold (blobs shared with alpha go too); the proxy is left alone.
    removeLeftoverContainers();
    labScript('node-reset.sh', ['--keep-proxy', '127.0.0.1:5000/lab/alpha', '127.0.0.1:5001/lab/alpha']);
    // Throttle only this repository's four blobs (busybox, base, alpha layers + config); the rule
    // uses itself up, so the shared proxy is left as it was for other tests.
    const rule = await fetch('http://127.0.0.1:5001/_lab/rules', { method: 'POST', body: JSON.stringify({ match: { repo: 'lab/alpha-run', kind: 'blob' }, action: 'rate', rate: '4MB', times: 4 }) });
    expect(rule.ok).toBe(true);

    const engine = createEngine(defaultEngineConfig('lab'));
    const seen: PullView[] = [];
    const session = new ClusterSession({ context: 'lab-admin', buildConfig: admin, agentNamespace: namespace, sink: (input) => engine.apply(input) });
    expect(await session.start()).toMatchObject({ state: 'connected', preflight: { mode: 'install' } });
    const timer = setInterval(() => {
      engine.apply({ type: 'tick', at: Date.now() });
      seen.push(...engine.drain().upserts.filter((p) => p.image === image));
    }, 250);
    try {
      await waitFor('agent stream connected', () => session.streamStatuses().find((s) => s.state === 'connected'), 60_000);
      kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'puller' },
        spec: { nodeSelector: { 'lab-kube/kubelet': 'true' }, terminationGracePeriodSeconds: 1, containers: [{ name: 'alpha', image, imagePullPolicy: 'Always' }] },
      }));
      // The agent's image record and kubelet's Pulled event race: wait for the view with both.
      const done = await waitFor('the pull done, known from both sources', () => seen.find((p) => p.state === 'done' && p.source === 'both'), 120_000, 250);
      const downloading = seen.filter((p) => p.state === 'downloading');
      const trail = JSON.stringify(seen.map((p) => [p.state, p.source, p.bytes.done, p.bytes.total, Math.round(p.rate)]));
      expect(downloading.length, `pull trail (state, source, done, total, rate): ${trail}`).toBeGreaterThan(3);
      expect(Math.max(...downloading.map((p) => p.rate))).toBeGreaterThan(1_000_000);
      expect(done).toMatchObject({ node: 'lab-kubelet', bytes: { totalKnown: true } });
      expect(done.bytes.done).toBeGreaterThan(45 * 1024 * 1024);
      expect(done.pods.map((w) => w.pod.name)).toEqual(['puller']);
    } finally {
      clearInterval(timer);
      session.stop();
      await uninstallAgent(kc, namespace);
    }
  });
});
