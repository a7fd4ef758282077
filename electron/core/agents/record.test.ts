import { describe, expect, it } from 'vitest';
import type { KubeInput } from '../engine/types.ts';
import { kubeInputForNode } from './record.ts';

const START = 1_000_000;
const pod = (namespace: string) => ({ namespace, name: 'p', uid: 'u' });
const event = (node: string, at: number, namespace = 'ns'): KubeInput => ({ type: 'kube.event', at, uid: 'e', count: 1, node, reason: 'Pulling', message: 'Pulling image "x"', pod: pod(namespace) });

describe('kubeInputForNode', () => {
  it('keeps the recorded node’s events from the recording on (within kubelet’s 1 s timestamp resolution)', () => {
    expect(kubeInputForNode(event('n1', START), 'n1', START)).toBe(true);
    expect(kubeInputForNode(event('n1', START - 900), 'n1', START)).toBe(true);
    expect(kubeInputForNode(event('n1', START - 60_000), 'n1', START)).toBe(false);
    expect(kubeInputForNode(event('n2', START), 'n1', START)).toBe(false);
  });

  it('keeps the node’s pods whatever their time, never unscheduled or other nodes’ pods', () => {
    const observed = (node?: string): KubeInput => ({ type: 'kube.pod', at: START - 60_000, pod: pod('ns'), deleted: false, containers: [], ...(node ? { node } : {}) });
    expect(kubeInputForNode(observed('n1'), 'n1', START)).toBe(true);
    expect(kubeInputForNode(observed(), 'n1', START)).toBe(false);
    expect(kubeInputForNode(observed('n2'), 'n1', START)).toBe(false);
  });

  it('keeps to the given namespaces when asked', () => {
    expect(kubeInputForNode(event('n1', START, 'mine'), 'n1', START, ['mine'])).toBe(true);
    expect(kubeInputForNode(event('n1', START, 'other'), 'n1', START, ['mine'])).toBe(false);
    expect(kubeInputForNode({ type: 'kube.node.removed', at: START, node: 'n1' }, 'n1', START, ['mine'])).toBe(false);
    expect(kubeInputForNode({ type: 'kube.node.removed', at: START, node: 'n1' }, 'n1', START)).toBe(true);
  });
});
