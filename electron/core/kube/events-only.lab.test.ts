// Events-only mode end to end on the lab's real kubelet: pods pull lab images (one that exists,
// one missing tag), the real kubelet posts Pulling/Pulled/Failed/BackOff, a ClusterSession (no
// agent installed) watches them, and the real engine shows the pulls with states and pods.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, defaultEngineConfig } from '../engine/index.ts';
import type { EngineInput, KubeletEvent } from '../engine/types.ts';
import { ClusterSession } from './cluster-session.ts';
import { loadKubeconfigs } from './kubeconfig-source.ts';
import { freshNamespace, kubectl, labKubeconfig, requireLab, waitFor } from './lab.fixture.ts';

let ns: string;
beforeAll(async () => {
  requireLab({ kubelet: true });
  ns = await freshNamespace('pt-events');
});
afterAll(() => {
  if (!ns) return;
  // With imagePullPolicy Always, a restarting pod pulls alpha-run again and again. Gone now, so no
  // pull of this test runs on under the next one — gracefully first: a force-deleted pod's
  // container can live on in the kubelet for a while and pull its image again behind the next
  // test's reset (the record test then found alpha-run's blobs back and its own pull cached).
  try {
    kubectl(['-n', ns, 'delete', 'pods', '--all', '--wait=true', '--timeout=45s']);
  } catch {
    kubectl(['-n', ns, 'delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=true', '--timeout=60s']);
  }
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

const podManifest = (name: string, image: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: {
    nodeSelector: { 'lab-kube/kubelet': 'true' }, terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image, imagePullPolicy: 'Always' }],
  },
});

describe('events-only mode on the real kubelet (lab)', () => {
  it('real Pulling/Pulled/Failed/BackOff reach the engine as pulls with states and pods', async () => {
    const engine = createEngine(defaultEngineConfig('lab'));
    const inputs: EngineInput[] = [];
    const snapshot = loadKubeconfigs([labKubeconfig], '');
    const session = new ClusterSession({
      context: 'lab-admin',
      buildConfig: () => {
        const kc = snapshot.clientFor('lab-admin');
        if (!kc) throw new Error('lab-admin not usable');
        return kc;
      },
      // No agent is installed there: the session runs on kubelet events and pod status alone.
      agentNamespace: `${ns}-no-agent`,
      sink: (input) => {
        inputs.push(input);
        engine.apply(input);
      },
    });
    const status = await session.start();
    expect(status).toMatchObject({ state: 'connected', preflight: { mode: 'install' } });
    try {
      kubectl(['-n', ns, 'apply', '-f', '-'], podManifest('ok', '127.0.0.1:5000/lab/alpha-run:v1'));
      kubectl(['-n', ns, 'apply', '-f', '-'], podManifest('missing', '127.0.0.1:5000/lab/missing:v1'));
      const kubelet = (pod: string) => inputs.filter((i): i is KubeletEvent => i.type === 'kube.event' && i.pod.namespace === ns && i.pod.name === pod);
      await waitFor('Pulled for the existing image', () => kubelet('ok').find((e) => e.reason === 'Pulled'), 90_000);
      await waitFor('BackOff for the missing image', () => kubelet('missing').find((e) => e.reason === 'BackOff'), 90_000);

      // Events posted within the same second may arrive in either order: check content, not order.
      expect(new Set(kubelet('ok').map((e) => e.reason))).toEqual(new Set(['Pulling', 'Pulled']));
      expect(kubelet('ok').find((e) => e.reason === 'Pulled')?.message).toMatch(/^Successfully pulled image "127\.0\.0\.1:5000\/lab\/alpha-run:v1" in [\d.]+m?s$/);
      const missing = kubelet('missing');
      expect(missing.some((e) => e.reason === 'Pulling')).toBe(true);
      expect(missing.some((e) => e.reason === 'Failed' && /^Failed to pull image "127\.0\.0\.1:5000\/lab\/missing:v1": rpc error: code = NotFound/.test(e.message))).toBe(true);
      expect(missing.some((e) => e.reason === 'Failed' && e.message === 'Error: ErrImagePull')).toBe(true);
      expect(missing.every((e) => e.node === 'lab-kubelet' && e.container === 'main')).toBe(true);
      await waitFor('pod status ErrImagePull/ImagePullBackOff', () =>
        inputs.find((i) => i.type === 'kube.pod' && i.pod.name === 'missing' && i.pod.namespace === ns && ['ErrImagePull', 'ImagePullBackOff'].includes(i.containers[0]?.waitingReason ?? '')), 60_000);

      engine.apply({ type: 'tick', at: Date.now() });
      const pulls = engine.pulls();
      const trail = JSON.stringify(engine.pulls().map((p) => [p.image, p.state, p.source, p.pods.map((w) => `${w.pod.namespace}/${w.pod.name}`), p.error?.reason]));
      const ok = pulls.find((p) => p.image === '127.0.0.1:5000/lab/alpha-run:v1');
      const failed = pulls.find((p) => p.image === '127.0.0.1:5000/lab/missing:v1');
      expect(ok, trail).toMatchObject({ node: 'lab-kubelet', state: 'done', source: 'events' });
      // A pod leaves a pull's list once its container started, so only the failing pod still waits.
      expect(failed, trail).toMatchObject({ node: 'lab-kubelet', state: 'failed', source: 'events', error: { reason: 'not-found' } });
      expect(failed?.pods.map((w) => `${w.pod.namespace}/${w.pod.name}`)).toContain(`${ns}/missing`);
    } finally {
      session.stop();
    }
  });
});
