import { describe, expect, it } from 'vitest';
import type { KubeletEvent } from '../engine/types.ts';
import { eventsStillUnderWay } from './events-backlog.ts';

let uid = 0;
const event = (pod: string, reason: KubeletEvent['reason'], at: number, container = 'app'): KubeletEvent => ({
  type: 'kube.event',
  at,
  uid: `e${++uid}`,
  count: 1,
  node: 'node-a',
  reason,
  message: `${reason} "127.0.0.1:5001/lab/alpha:v1"`,
  pod: { namespace: 'default', name: pod, uid: `uid-${pod}` },
  container,
});

describe('the first list of kubelet events', () => {
  it('keeps only the Pulling events of pulls still under way, per pod container, in time order', () => {
    const backlog = [
      event('done', 'Pulled', 20), event('done', 'Pulling', 10),
      event('cached', 'Pulled', 15),
      event('running', 'Pulling', 30),
      event('failing', 'Pulling', 40), event('failing', 'Failed', 41), event('failing', 'BackOff', 42),
      event('again', 'Pulling', 50), event('again', 'Pulled', 51), event('again', 'Pulling', 60),
      event('two', 'Pulling', 70, 'sidecar'), event('two', 'Pulled', 71, 'app'),
      event('same-second', 'Pulling', 80), event('same-second', 'Pulled', 80),
    ];
    const kept = eventsStillUnderWay(backlog);
    expect(kept.map((e) => [e.pod.name, e.container, e.reason, e.at])).toEqual([
      ['running', 'app', 'Pulling', 30],
      ['again', 'app', 'Pulling', 60],
      ['two', 'sidecar', 'Pulling', 70],
    ]);
  });
});
