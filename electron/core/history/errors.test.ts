// Disk full and permission denied, produced by the real kernel rather than a mocked fs:
//  - ENOSPC: the next segment file is a symlink to /dev/full, whose writes always fail with ENOSPC;
//  - EACCES: a child process writes into a directory it may not write to. Root ignores file modes,
//    so under root the child drops to uid/gid 65534 (nobody) facing a root-owned 0755 directory;
//    under any other user the directory is made 0555;
//  - ENOTDIR: a history directory under a regular file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryError } from './errors.ts';
import { clusterDirName, HistoryStore } from './store.ts';
import { generateRecords } from './test-records.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'pulltrace-errors-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('history write failures', () => {
  it('reports a full disk clearly, keeps the caller going, and resumes once space is back', () => {
    const dir = tempDir();
    const records = [...generateRecords(40)];
    const store = HistoryStore.open({ dir, segmentBytes: 4096, fsync: 'never' });
    store.append(records.slice(0, 1));
    mkdirSync(join(dir, clusterDirName('kind-lab')), { recursive: true });
    const next = join(dir, clusterDirName('kind-lab'), '00000002.ndjson');
    symlinkSync('/dev/full', next);

    const failed = store.append(records.slice(1, 20));
    expect(failed.written).toBeGreaterThan(0);
    expect(failed.written).toBeLessThan(19);
    expect(failed.error).toBeInstanceOf(HistoryError);
    expect(failed.error?.code).toBe('disk-full');
    expect(failed.error?.errno).toBe('ENOSPC');
    expect(failed.error?.message).toMatch(/^History could not write a record to .*00000002\.ndjson: the disk is full \(ENOSPC\)\. .*the live view keeps working/);
    expect(store.health()).toMatchObject({ writable: false, failedWrites: 19 - failed.written });

    unlinkSync(next); // space is back
    const resumed = store.append(records.slice(20));
    expect(resumed).toEqual({ written: 20 });
    expect(store.health().writable).toBe(true);
    store.close();
    const reopened = HistoryStore.open({ dir, fsync: 'never' });
    expect(reopened.recovery).toEqual([]);
    expect(reopened.count()).toBe(1 + failed.written + 20);
    reopened.close();
  });

  it('names the path when the history directory sits under a file (ENOTDIR)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => HistoryStore.open({ dir: join(dir, 'file', 'history') })).toThrow(
      expect.objectContaining({ name: 'HistoryError', code: 'not-a-directory', message: expect.stringContaining(join(dir, 'file', 'history')) }),
    );
  });

  it('reports permission denied to a non-root user, on open and on append', () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const seeded = HistoryStore.open({ dir: join(dir, 'history'), fsync: 'never' });
    seeded.append([...generateRecords(3)]);
    seeded.close();
    const root = process.getuid?.() === 0;
    if (!root) chmodSync(dir, 0o555);
    const script = `
      import { HistoryStore } from ${JSON.stringify(join(import.meta.dirname, 'store.ts'))};
      import { generateRecords } from ${JSON.stringify(join(import.meta.dirname, 'test-records.ts'))};
      const out = {};
      try { HistoryStore.open({ dir: ${JSON.stringify(join(dir, 'new-history'))} }); } catch (e) { out.open = { code: e.code, errno: e.errno, message: e.message }; }
      const store = HistoryStore.open({ dir: ${JSON.stringify(join(dir, 'history'))}, fsync: 'never' });
      out.count = store.count();
      const r = store.append([...generateRecords(1, { clusters: ['other-cluster'] })]);
      out.append = { written: r.written, code: r.error?.code, errno: r.error?.errno };
      console.log(JSON.stringify(out));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { ...(root ? { uid: 65534, gid: 65534 } : {}), encoding: 'utf8', timeout: 20_000 });
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout) as Record<string, unknown>;
    if (!root) chmodSync(dir, 0o755);
    expect(out).toMatchObject({
      open: { code: 'permission-denied', errno: 'EACCES', message: expect.stringMatching(/History could not open the history in .*new-history: permission denied \(EACCES\)/) },
      count: 3,
      append: { written: 0, code: 'permission-denied', errno: 'EACCES' },
    });
  });
});
