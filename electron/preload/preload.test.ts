import { describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS, PRELOAD_GLOBAL, type PreloadApi } from '../core/bridge/contract.ts';

const exposed = vi.hoisted(() => new Map<string, unknown>());
const sent = vi.hoisted((): unknown[][] => []);
const listeners = vi.hoisted(() => new Map<string, (...args: unknown[]) => void>());

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: {
    send: (...args: unknown[]) => sent.push(args),
    on: (channel: string, fn: (...args: unknown[]) => void) => listeners.set(channel, fn),
    removeListener: (channel: string) => listeners.delete(channel),
  },
}));

describe('preload', () => {
  it('exposes exactly one global with exactly the typed API, and strips the IPC event', async () => {
    await import('./index.ts');
    expect([...exposed.keys()]).toEqual([PRELOAD_GLOBAL]);
    const api = exposed.get(PRELOAD_GLOBAL) as PreloadApi;
    expect(Object.keys(api).sort()).toEqual(['onMessage', 'ready', 'send']);

    api.ready();
    api.send({ id: 1, command: { type: 'demo.start' } });
    expect(sent).toEqual([[IPC_CHANNELS.ready], [IPC_CHANNELS.command, { id: 1, command: { type: 'demo.start' } }]]);

    const got: unknown[] = [];
    const off = api.onMessage((m) => got.push(m));
    const forward = listeners.get(IPC_CHANNELS.message);
    forward?.({ sender: 'ipc handle' }, { type: 'hello' });
    expect(got).toEqual([{ type: 'hello' }]);
    off();
    expect(listeners.has(IPC_CHANNELS.message)).toBe(false);
  });
});
