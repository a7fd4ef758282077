import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnose, socketReplaced } from './health.ts';

let dir: string | undefined;
const scratch = (): string => (dir = mkdtempSync(join(tmpdir(), 'pulltrace-health-')));
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('diagnose', () => {
  it('a missing socket says so and asks about the mount', () => {
    const socket = join(scratch(), 'containerd.sock');
    expect(diagnose(new Error('connect ENOENT'), socket)).toEqual({
      reason: 'socket-missing',
      error: `containerd socket ${socket} not found (is containerd running, and is the socket's directory mounted into the pod?)`,
    });
  });

  it('a socket that is a link out of the mounted directory names the real path to install with', () => {
    const socket = join(scratch(), 'containerd.sock');
    symlinkSync('/var/cache/elsewhere/containerd.sock', socket);
    const { reason, error } = diagnose(new Error('connect ENOENT'), socket);
    expect(reason).toBe('socket-missing');
    expect(error).toContain('is a symbolic link to /var/cache/elsewhere/containerd.sock');
    expect(error).toContain("install the agent with the socket's real path");
  });

  it('an existing file that refuses connections is "unavailable", with the error', () => {
    const socket = join(scratch(), 'containerd.sock');
    writeFileSync(socket, '');
    expect(diagnose(new Error('connect ECONNREFUSED'), socket)).toEqual({ reason: 'unavailable', error: `containerd at ${socket} is unavailable: connect ECONNREFUSED` });
  });
});

describe('socketReplaced', () => {
  // The positive case needs a bind mount (root): agent/test/agent.lab.test.ts restarts containerd under one.
  it('is false for a file that is there and for one that is not', () => {
    const socket = join(scratch(), 'containerd.sock');
    expect(socketReplaced(socket)).toBe(false);
    writeFileSync(socket, '');
    expect(socketReplaced(socket)).toBe(false);
  });
});
