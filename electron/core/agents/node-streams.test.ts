import { describe, expect, it } from 'vitest';
import { selectNodes, whyNotReady } from './node-streams.ts';

const limits = { allNodesUpTo: 3, idleCloseMs: 60_000, maxStreams: 2 };

describe('selectNodes', () => {
  it('small cluster: every node with an agent, capped, most recently active first', () => {
    expect(selectNodes(['a', 'b', 'c'], new Map([['c', 5]]), 100, { ...limits, maxStreams: 5 })).toEqual(['c', 'a', 'b']);
    expect(selectNodes(['a', 'b', 'c'], new Map([['c', 5]]), 100, limits)).toEqual(['c', 'a']);
  });

  it('large cluster: only nodes with a recent Pulling, idle ones dropped, capped', () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const now = 1_000_000;
    const activity = new Map([['n2', now - 10_000], ['n4', now - 1_000], ['n5', now - 61_000], ['n1', now - 30_000]]);
    expect(selectNodes(nodes, activity, now, limits)).toEqual(['n4', 'n2']);
    expect(selectNodes(nodes, activity, now, { ...limits, maxStreams: 10 })).toEqual(['n4', 'n2', 'n1']);
    expect(selectNodes(nodes, new Map(), now, limits)).toEqual([]);
  });
});

describe('whyNotReady', () => {
  const metadata = { uid: 'u', name: 'pulltrace-agent-x' };
  it('a pod no kubelet picked up (a node without a working kubelet): Pending, no container status', () => {
    expect(whyNotReady({ metadata, spec: { nodeName: 'n1' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] } }, 'n1'))
      .toBe("agent pod pulltrace-agent-x is Pending: not started by the kubelet of node n1 (no container status yet; is the node's kubelet running?)");
  });

  it('a waiting container names the kubelet reason, its message and the last exit', () => {
    expect(whyNotReady({ metadata, status: { phase: 'Pending', containerStatuses: [{ ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "node:24-slim"' } } }] } }, 'n1'))
      .toBe('agent pod pulltrace-agent-x is waiting: ImagePullBackOff: Back-off pulling image "node:24-slim"');
    expect(whyNotReady({ metadata, status: { phase: 'Running', containerStatuses: [{ ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 78 } } }] } }, 'n1'))
      .toBe('agent pod pulltrace-agent-x is waiting: CrashLoopBackOff (last exit: Error, code 78)');
  });

  it('terminating, running but not ready, failed', () => {
    expect(whyNotReady({ metadata: { ...metadata, deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Running' } }, 'n1')).toBe('agent pod pulltrace-agent-x is terminating');
    expect(whyNotReady({ metadata, status: { phase: 'Running', containerStatuses: [{ ready: false, state: {} }] } }, 'n1')).toBe('agent pod pulltrace-agent-x is running but not Ready');
    expect(whyNotReady({ metadata, status: { phase: 'Failed', containerStatuses: [{ ready: false, state: { terminated: { reason: 'Error', exitCode: 1 } } }] } }, 'n1')).toBe('agent pod pulltrace-agent-x exited: Error, code 1');
  });
});
