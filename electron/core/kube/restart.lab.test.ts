// The API server restarted under running watches (the lab's own down.sh/up.sh, state kept): the
// watches back off while it is down, come back by themselves, and nothing is lost or delivered
// twice. Restores the kubelet node afterwards for the tests that follow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeInput, KubeletEvent } from '../engine/types.ts';
import { ClusterWatches } from './cluster-watches.ts';
import { loadKubeconfigs } from './kubeconfig-source.ts';
import { freshNamespace, kubectl, labKubeconfig, labScript, requireLab, waitFor } from './lab.fixture.ts';
import type { WatchStatus } from './list-watch.ts';

let ns: string;
beforeAll(async () => {
  requireLab();
  ns = await freshNamespace('pt-restart');
});
afterAll(() => {
  if (ns) kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('API server restart under running watches (lab)', () => {
  it('resumes without losing or duplicating events', async () => {
    const inputs: KubeInput[] = [];
    const statuses: WatchStatus[] = [];
    // A new client each time: the restarted server keeps its certificates (down.sh keeps state).
    const config = () => {
      const kc = loadKubeconfigs([labKubeconfig], '').clientFor('lab-admin');
      if (!kc) throw new Error('lab-admin not usable');
      return kc;
    };
    const watches = new ClusterWatches({ config, sink: (i) => inputs.push(i), status: (s) => statuses.push(s) });
    const events = () => inputs.filter((i): i is KubeletEvent => i.type === 'kube.event' && i.pod.namespace === ns);
    watches.start();
    try {
      await waitFor('watching', () => (statuses.filter((s) => s.state === 'watching').length >= 3 ? true : undefined));
      labScript('kubelet-event.sh', ['-n', ns, 'ghost', 'pull-fail', '--container', 'c', '--image', '127.0.0.1:5001/lab/missing:v1', '--node', 'lab-node-x']);
      await waitFor('events before the restart', () => (events().length === 5 ? true : undefined));

      labScript('down.sh', []);
      await waitFor('watches backing off while the server is down', () => statuses.find((s) => s.state === 'backoff' && s.error?.kind === 'unreachable'), 60_000);
      labScript('up.sh', []);
      labScript('kubelet-up.sh', []);
      const restartedAt = statuses.length;
      await waitFor('all three watches back', () => {
        const after = statuses.slice(restartedAt);
        return ['events', 'pods', 'nodes'].every((r) => after.some((s) => s.resource === r && s.state === 'watching')) ? true : undefined;
      }, 90_000, 250);

      labScript('kubelet-event.sh', ['-n', ns, 'ghost', 'pull-ok', '--container', 'c', '--image', '127.0.0.1:5001/lab/alpha:v1', '--node', 'lab-node-x']);
      await waitFor('events after the restart', () => (events().length >= 7 ? true : undefined), 60_000);
      // Give a duplicate, if any, time to arrive before counting.
      await new Promise((r) => setTimeout(r, 2000));
      const keys = events().map((e) => `${e.uid}#${e.count}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(events().map((e) => e.reason)).toEqual(['Pulling', 'Failed', 'Failed', 'BackOff', 'Failed', 'Pulling', 'Pulled']);
    } finally {
      watches.stop();
    }
  });
});
