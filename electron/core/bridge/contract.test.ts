// The agent's socket path crosses the bridge into a hostPath volume: only a plain absolute path to a
// file below some directory other than / gets through.
import { describe, expect, it } from 'vitest';
import { agentSocketSchema, commandSchema } from './contract.ts';

describe('agentSocketSchema', () => {
  it('takes the presets and plain absolute paths', () => {
    for (const socket of ['containerd', 'k3s', 'rke2', 'microk8s', { path: '/run/containerd/containerd.sock' }, { path: '/var/snap/microk8s/common/run/containerd.sock' }]) {
      expect(agentSocketSchema.safeParse(socket).success, JSON.stringify(socket)).toBe(true);
    }
  });

  it('refuses relative paths, the root directory, dot segments, odd characters and unknown presets', () => {
    for (const socket of ['docker', { path: 'containerd.sock' }, { path: '/containerd.sock' }, { path: '/run/../etc/x.sock' }, { path: '/run/./containerd.sock' }, { path: '/run/containerd/' }, { path: '/run/con tainerd.sock' }, { path: '/run/x\n.sock' }, { path: `/run/${'a'.repeat(600)}` }]) {
      expect(agentSocketSchema.safeParse(socket).success, JSON.stringify(socket)).toBe(false);
    }
  });

  it('is what agent.preview and agent.apply accept', () => {
    expect(commandSchema.safeParse({ type: 'agent.preview', cluster: 'c', action: 'install', socket: { path: '/run/../x.sock' } }).success).toBe(false);
    expect(commandSchema.safeParse({ type: 'agent.apply', cluster: 'c', action: 'install', hash: 'h', socket: 'k3s' }).success).toBe(true);
  });
});
