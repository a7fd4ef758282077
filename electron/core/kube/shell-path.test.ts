import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findExecutable, pathFromEnvDump, resolveLoginShellPath } from './shell-path.ts';

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-shell-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('login shell PATH', () => {
  it('takes PATH from between the markers, ignoring banners', () => {
    const dump = 'Welcome!\n__PULLTRACE_ENV_7f3a__HOME=/h\0PATH=/a:/b\0X=1\0__PULLTRACE_ENV_7f3a__bye';
    expect(pathFromEnvDump(dump)).toBe('/a:/b');
    expect(pathFromEnvDump('no markers')).toBeUndefined();
  });

  it('asks a real bash login shell, whose profile adds a plugin directory', async () => {
    writeFileSync(path.join(home, '.bash_profile'), 'echo "profile banner"\nexport PATH="/opt/plugins/bin:$PATH"\n');
    const resolved = await resolveLoginShellPath({ shell: '/bin/bash', env: { HOME: home, PATH: '/usr/bin:/bin' } });
    expect(resolved.source).toBe('login-shell');
    expect(resolved.value.split(':')[0]).toBe('/opt/plugins/bin');
    expect(resolved.value.split(':')).toContain('/usr/bin');
  });

  it('falls back to the process PATH when the shell hangs', async () => {
    const shell = path.join(home, 'slow-shell');
    writeFileSync(shell, '#!/bin/sh\nexec /bin/sleep 5\n');
    chmodSync(shell, 0o755);
    const resolved = await resolveLoginShellPath({ shell, timeoutMs: 300, env: { HOME: home, PATH: '/only/here' } });
    expect(resolved.source).toBe('process');
    expect(resolved.value.split(':')[0]).toBe('/only/here');
    expect(resolved.problem).toBe(`could not ask the login shell ${shell}: timed out after 300 ms`);
  });

  it('finds executables on a search path, not plain files', () => {
    const exe = path.join(home, 'tool');
    writeFileSync(exe, '#!/bin/sh\n');
    chmodSync(exe, 0o755);
    writeFileSync(path.join(home, 'data'), 'x');
    expect(findExecutable('tool', `/nonexistent:${home}`)).toBe(exe);
    expect(findExecutable('data', home)).toBeUndefined();
    expect(findExecutable(exe, '')).toBe(exe);
    expect(findExecutable('sh', '/bin:/usr/bin')).toMatch(/\/sh$/);
  });
});
