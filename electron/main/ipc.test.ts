import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS, type ServerMessage } from '../core/bridge/contract.ts';
import { ipcTransport, openSession, type CommandHandler } from '../core/bridge/session.ts';
import type { CoreStateSource } from '../core/bridge/updates.ts';
import type { SessionOpener } from '../core/host/core-host.ts';

vi.mock('electron', async () => {
  const events = await import('node:events');
  return { ipcMain: new events.EventEmitter() };
});
const { ipcMain } = (await import('electron')) as unknown as { ipcMain: EventEmitter };
const { registerIpcBridge } = await import('./ipc.ts');

const source: CoreStateSource = {
  snapshot: () => ({ at: 1, clusters: [], pulls: [], nodes: [], series: [], settings: { notifications: { failed: true, stalled: true, finished: false }, demoSpeed: 1 } }),
  subscribe: () => () => {},
  pullDetail: () => undefined,
};

/** The core's side in-process (core-host.test.ts covers the worker relay): the real bridge session. */
function inProcess(handler: CommandHandler): SessionOpener {
  return {
    openSession(send, appVersion) {
      const session = openSession(source, handler, ipcTransport(send), { appVersion });
      return { receive: (raw) => void session.receive(raw), close: () => session.close() };
    },
  };
}

function page(url: string) {
  const received: ServerMessage[] = [];
  const sender = Object.assign(new EventEmitter(), {
    isDestroyed: () => false,
    send: (_channel: string, message: ServerMessage) => received.push(message),
  });
  return { received, event: { sender, senderFrame: { url, parent: null } } };
}

describe('IPC bridge', () => {
  it('serves our page, validates payloads, and ignores other frames', async () => {
    const handle = vi.fn(async () => ({ ok: true as const, value: { cluster: 'demo:lab' } }));
    const rejected: string[] = [];
    const unregister = registerIpcBridge(inProcess({ handle }), { appVersion: 't', onRejected: (r) => rejected.push(r) });

    const ours = page('app://renderer/index.html');
    ipcMain.emit(IPC_CHANNELS.ready, ours.event);
    expect(ours.received.map((m) => m.type)).toEqual(['hello', 'snapshot']);
    ipcMain.emit(IPC_CHANNELS.command, ours.event, { id: 3, command: { type: 'history.export', query: { limit: -5 }, destination: 'inline' } });
    await vi.waitFor(() => expect(ours.received).toHaveLength(3));
    expect(ours.received[2]).toMatchObject({ type: 'result', id: 3, result: { ok: false, error: { code: 'invalid-request' } } });
    expect(handle).not.toHaveBeenCalled();

    const evil = page('https://evil.example/');
    ipcMain.emit(IPC_CHANNELS.ready, evil.event);
    ipcMain.emit(IPC_CHANNELS.command, evil.event, { id: 1, command: { type: 'demo.start' } });
    expect(evil.received).toEqual([]);
    expect(rejected).toHaveLength(2);
    expect(handle).not.toHaveBeenCalled();
    unregister();
    expect(ipcMain.listenerCount(IPC_CHANNELS.command)).toBe(0);
  });
});
