// The sandboxed preload: exposes `window.pulltrace` (PreloadApi) and nothing else. It forwards
// requests to the main process, which validates them (sender frame and zod schema) before the core
// sees them; it strips Electron's event object so no IPC handle leaks into the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNELS, PRELOAD_GLOBAL, type CommandRequest, type PreloadApi, type ServerMessage } from '../core/bridge/contract.ts';

const api: PreloadApi = {
  ready: () => ipcRenderer.send(IPC_CHANNELS.ready),
  send: (request: CommandRequest) => ipcRenderer.send(IPC_CHANNELS.command, request),
  onMessage(listener) {
    const forward = (_event: IpcRendererEvent, message: ServerMessage): void => listener(message);
    ipcRenderer.on(IPC_CHANNELS.message, forward);
    return () => {
      ipcRenderer.removeListener(IPC_CHANNELS.message, forward);
    };
  },
};

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, api);
