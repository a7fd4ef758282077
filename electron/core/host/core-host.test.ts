// The core in a real worker thread (worker-entry.ts run by Node as is), driven through the host as
// the Electron shell drives it — sessions relayed both ways, commands validated in the worker, the
// save dialog asked of the main thread, a clean close — and the same for the in-process fallback;
// a worker that fails to start, or dies later, is reported the right way.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../bridge/contract.ts';
import { startCoreHost, type CoreHost, type CoreHostOptions } from './core-host.ts';
import { startInProcessCore } from './in-process-core.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
const entry = new URL('./worker-entry.ts', import.meta.url);

let dir = '';
let host: CoreHost | undefined;

afterEach(async () => {
  await host?.close();
  host = undefined;
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function results(received: ServerMessage[], id: number) {
  return received.flatMap((m) => (m.type === 'result' && m.id === id ? [m.result] : []));
}

const hosts = {
  'worker thread': startCoreHost,
  'in-process fallback': (options: CoreHostOptions) => startInProcessCore(options),
};

describe.each(Object.entries(hosts))('core host: %s', (_kind, start) => {
  it('serves a session: hello and snapshot, the demo streaming, commands validated, the save dialog, a clean close', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pulltrace-host-'));
    const target = path.join(dir, 'export.csv');
    const asked: string[] = [];
    let answer: string | undefined = target;
    const onExit = vi.fn();
    host = start({
      entry,
      core: { recordingsDir: path.join(repo, 'fixtures', 'recordings'), dataDir: dir, agentDir: dir, version: 'test' },
      askSavePath: async (name) => {
        asked.push(name);
        return answer;
      },
      onExit,
    });
    await host.ready;

    const received: ServerMessage[] = [];
    const session = host.openSession((m) => received.push(m), 'test');
    await vi.waitFor(() => expect(received.map((m) => m.type).slice(0, 2)).toEqual(['hello', 'snapshot']));

    session.receive({ id: 1, command: { type: 'demo.start' } });
    await vi.waitFor(() => expect(results(received, 1)).toEqual([expect.objectContaining({ ok: true })]));
    // The demo's pulls reach the relayed session as deltas with counts.
    await vi.waitFor(() => expect(received.some((m) => m.type === 'delta' && (m.counts?.total ?? 0) > 0)).toBe(true), { timeout: 10_000 });

    session.receive({ id: 2, command: { type: 'no-such-command' } });
    await vi.waitFor(() => expect(results(received, 2)).toEqual([expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'invalid-request' }) })]));

    session.receive({ id: 3, command: { type: 'history.export', query: {}, destination: 'dialog' } });
    await vi.waitFor(() => expect(results(received, 3)).toEqual([expect.objectContaining({ ok: true, value: expect.objectContaining({ savedTo: target }) })]));
    expect(asked).toEqual([expect.stringMatching(/\.csv$/)]);
    expect(readFileSync(target, 'utf8').split('\n')[0]).toContain('image');

    answer = undefined;
    session.receive({ id: 4, command: { type: 'history.export', query: {}, destination: 'dialog' } });
    await vi.waitFor(() => expect(results(received, 4)).toEqual([expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'cancelled' }) })]));

    // A closed session gets nothing more.
    session.close();
    const count = received.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.length).toBe(count);

    await host.close();
    host = undefined;
    expect(onExit).not.toHaveBeenCalled();
    // History was written where the shell said (the worker opened and closed it).
    expect(existsSync(path.join(dir, 'history'))).toBe(true);
  });

});

describe('core host: a worker that ends', () => {
  it('fails to start: ready rejects with the reason, onExit stays silent (the shell falls back)', async () => {
    const onExit = vi.fn();
    host = startCoreHost({ entry: new URL('data:text/javascript,throw new Error("core exploded")'), core: { agentDir: tmpdir(), version: 'test' }, onExit });
    await expect(host.ready).rejects.toThrow(/core exploded/);
    expect(onExit).not.toHaveBeenCalled();
    // Closing a host whose worker is gone resolves at once.
    await host.close();
  });

  it('dies after it was ready: onExit fires once with the reason', async () => {
    const onExit = vi.fn();
    const source = "import { parentPort } from 'node:worker_threads'; parentPort.postMessage({ type: 'ready' }); setTimeout(() => { throw new Error('core died later'); }, 50);";
    host = startCoreHost({ entry: new URL(`data:text/javascript,${encodeURIComponent(source)}`), core: { agentDir: tmpdir(), version: 'test' }, onExit });
    await host.ready;
    await vi.waitFor(() => expect(onExit).toHaveBeenCalledTimes(1));
    expect(onExit.mock.calls[0]?.[0]).toMatch(/core died later/);
  });
});
