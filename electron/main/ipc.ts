// The Electron transport of the bridge: one bridge session per page load, opened when the page says
// it is ready. Every message is checked to come from our own top-level frame; the session (run by
// the core in its worker, relayed by core-host.ts) validates every command with the contract's
// schemas before the core sees it.
import { ipcMain, type IpcMainEvent, type WebContents } from 'electron';
import { IPC_CHANNELS, type ServerMessage } from '../core/bridge/contract.ts';
import type { HostSession, SessionOpener } from '../core/host/core-host.ts';
import { isTrustedSender } from './security.ts';

export interface IpcBridgeOptions {
  appVersion: string;
  devUrl?: string;
  onRejected?: (reason: string) => void;
}

export function registerIpcBridge(core: SessionOpener, options: IpcBridgeOptions): () => void {
  const sessions = new Map<WebContents, HostSession>();

  const trusted = (event: IpcMainEvent): boolean => {
    if (isTrustedSender(event.senderFrame, options.devUrl)) return true;
    options.onRejected?.(`IPC from an untrusted frame (${event.senderFrame?.url ?? 'gone'}) ignored`);
    return false;
  };

  const onReady = (event: IpcMainEvent): void => {
    if (!trusted(event)) return;
    const contents = event.sender;
    sessions.get(contents)?.close();
    const send = (message: ServerMessage): void => {
      if (!contents.isDestroyed()) contents.send(IPC_CHANNELS.message, message);
    };
    const session = core.openSession(send, options.appVersion);
    sessions.set(contents, session);
    contents.once('destroyed', () => {
      session.close();
      sessions.delete(contents);
    });
  };

  const onCommand = (event: IpcMainEvent, raw: unknown): void => {
    if (!trusted(event)) return;
    const session = sessions.get(event.sender);
    if (session === undefined) return options.onRejected?.('command before ready ignored');
    session.receive(raw);
  };

  ipcMain.on(IPC_CHANNELS.ready, onReady);
  ipcMain.on(IPC_CHANNELS.command, onCommand);
  return () => {
    ipcMain.removeListener(IPC_CHANNELS.ready, onReady);
    ipcMain.removeListener(IPC_CHANNELS.command, onCommand);
    for (const session of sessions.values()) session.close();
    sessions.clear();
  };
}
