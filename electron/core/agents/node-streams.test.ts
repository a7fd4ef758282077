import { describe, expect, it } from 'vitest';
import { selectNodes } from './node-streams.ts';

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
