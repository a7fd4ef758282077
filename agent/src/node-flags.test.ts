import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS, missingNodeFlags } from './node-flags.ts';

describe('missingNodeFlags', () => {
  it('asks for every agent flag when node was started with none', () => {
    expect(missingNodeFlags([])).toEqual(AGENT_NODE_FLAGS);
    expect(missingNodeFlags(['-e', 'import("x")'])).toEqual(AGENT_NODE_FLAGS);
  });

  it('leaves a flag the operator set (command line or NODE_OPTIONS), whatever its value, and asks for nothing once all are set', () => {
    expect(missingNodeFlags(['--max-old-space-size=128'])).toEqual(['--lite-mode', '--max-semi-space-size=1']);
    expect(missingNodeFlags(AGENT_NODE_FLAGS)).toEqual([]);
    expect(missingNodeFlags([], '--max-old-space-size=128  --max-semi-space-size=2')).toEqual(['--lite-mode']);
  });
});
