import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS, agentEnvironment, missingNodeFlags } from './node-flags.ts';

describe('missingNodeFlags', () => {
  it('asks for every agent flag when node was started with none', () => {
    expect(missingNodeFlags([])).toEqual(AGENT_NODE_FLAGS);
    expect(missingNodeFlags(['-e', 'import("x")'])).toEqual(AGENT_NODE_FLAGS);
  });

  it('leaves a flag the operator set (command line or NODE_OPTIONS), whatever its value, and asks for nothing once all are set', () => {
    expect(missingNodeFlags(['--max-old-space-size=128'])).toEqual(['--lite-mode', '--max-semi-space-size=1', '--use-openssl-ca', '--bytecode-old-age=2']);
    expect(missingNodeFlags(AGENT_NODE_FLAGS)).toEqual([]);
    expect(missingNodeFlags([], '--max-old-space-size=128  --max-semi-space-size=2')).toEqual(['--lite-mode', '--use-openssl-ca', '--bytecode-old-age=2']);
  });

  it("does not add --use-openssl-ca beside the operator's --use-bundled-ca (node refuses both)", () => {
    expect(missingNodeFlags(['--use-bundled-ca'])).toEqual(['--lite-mode', '--max-semi-space-size=1', '--max-old-space-size=64', '--bytecode-old-age=2']);
    expect(missingNodeFlags([], '--use-bundled-ca')).toEqual(['--lite-mode', '--max-semi-space-size=1', '--max-old-space-size=64', '--bytecode-old-age=2']);
  });
});

describe('agentEnvironment', () => {
  it("fixes glibc's mmap threshold unless the operator set one", () => {
    expect(agentEnvironment({ PATH: '/bin' })).toEqual({ PATH: '/bin', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(agentEnvironment({ MALLOC_MMAP_THRESHOLD_: '65536' })).toEqual({ MALLOC_MMAP_THRESHOLD_: '65536' });
    expect(agentEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4096' })).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4096' });
    expect(agentEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' })).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=1', MALLOC_MMAP_THRESHOLD_: '131072' });
  });
});
