// The core worker as the app ships it: electron-vite's out/main/core-worker.js (not the .ts sources
// that core-host.test.ts runs), started by the host with the app's heap limits, serving the demo;
// and the agent contract the bundled agent client reads at run time, beside it where it looks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../bridge/contract.ts';
import { startCoreHost, type CoreHost } from './core-host.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const bundle = path.join(root, 'out', 'main', 'core-worker.js');
let dir = '';
let host: CoreHost | undefined;

beforeAll(() => {
  execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 170_000 });
  dir = mkdtempSync(path.join(tmpdir(), 'pulltrace-bundle-'));
}, 180_000);

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the built core worker', () => {
  it('starts from out/main/core-worker.js and streams the demo to a relayed session', async () => {
    const exits: string[] = [];
    host = startCoreHost({
      entry: pathToFileURL(bundle),
      core: { recordingsDir: path.join(root, 'fixtures', 'recordings'), dataDir: dir, agentDir: dir, version: 'bundle-test' },
      onExit: (reason) => exits.push(reason),
    });
    await host.ready;
    const received: ServerMessage[] = [];
    const session = host.openSession((m) => received.push(m), 'bundle-test');
    session.receive({ id: 1, command: { type: 'demo.start' } });
    await vi.waitFor(() => expect(received.some((m) => m.type === 'delta' && (m.counts?.total ?? 0) > 0)).toBe(true), { timeout: 15_000 });
    expect(received.slice(0, 2).map((m) => m.type)).toEqual(['hello', 'snapshot']);
    session.close();
    await host.close();
    host = undefined;
    expect(exits).toEqual([]);
  });

  it('ships proto/agent.proto beside the bundle, where its agent client reads it', () => {
    // The agent client lands in a chunk that the worker and the shell's in-process fallback share,
    // in the same folder: it must read the copy in out/main/proto.
    const mainDir = path.join(root, 'out', 'main');
    const readers = readdirSync(mainDir)
      .filter((file) => file.endsWith('.js'))
      .map((file) => readFileSync(path.join(mainDir, file), 'utf8'))
      .filter((code) => code.includes('agent.proto"'));
    expect(readers.length).toBeGreaterThan(0);
    for (const code of readers) expect(code).toMatch(/new URL\(\s*"\.\/proto\/agent\.proto",\s*import\.meta\.url\s*\)/);
    expect(readFileSync(path.join(root, 'out', 'main', 'proto', 'agent.proto'), 'utf8')).toBe(readFileSync(path.join(root, 'proto', 'agent.proto'), 'utf8'));
  });
});
