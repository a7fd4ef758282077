// The core in its worker thread: the backends, the app (engines, kube, agents, history) and one
// bridge session per renderer that main relays. Everything heavy of the desktop runs here, off
// Electron's main thread, in a V8 heap sized for it (see CORE_HEAP_LIMITS in core-host.ts).
import type { MessagePort } from 'node:worker_threads';
import { ipcTransport, openSession, type BridgeSession } from '../bridge/session.ts';
import { buildCore } from './build-core.ts';
import { coreWorkerOptionsSchema, toWorkerSchema, type FromWorker, type ToWorker } from './protocol.ts';

/** The worker's end of the channel (`parentPort`, or one side of a MessageChannel in tests). */
export type CorePort = Pick<MessagePort, 'postMessage' | 'on' | 'close'>;

export function runCoreWorker(port: CorePort, rawOptions: unknown): void {
  const options = coreWorkerOptionsSchema.parse(rawOptions);
  const post = (message: FromWorker): void => port.postMessage(message);
  const pendingAsks = new Map<number, (path: string | undefined) => void>();
  let nextAsk = 1;
  const core = buildCore(
    options,
    (defaultName) =>
      new Promise((resolve) => {
        const request = nextAsk++;
        pendingAsks.set(request, resolve);
        post({ type: 'save-path.ask', request, defaultName });
      }),
  );
  const { app, handler } = core;
  app.onNotification((notification) => post({ type: 'notification', notification }));

  const sessions = new Map<number, BridgeSession>();
  const closeSession = (id: number): void => {
    sessions.get(id)?.close();
    sessions.delete(id);
  };
  let closing = false;

  const onMessage = (message: ToWorker): void => {
    switch (message.type) {
      case 'session.open': {
        const session = message.session;
        closeSession(session);
        const transport = ipcTransport((serverMessage) => post({ type: 'session.message', session, message: serverMessage }));
        sessions.set(session, openSession(app, handler, transport, { appVersion: message.appVersion }));
        break;
      }
      case 'session.command':
        void sessions.get(message.session)?.receive(message.raw);
        break;
      case 'session.close':
        closeSession(message.session);
        break;
      case 'save-path':
        pendingAsks.get(message.request)?.(message.path ?? undefined);
        pendingAsks.delete(message.request);
        break;
      case 'shutdown':
        if (closing) return;
        closing = true;
        for (const id of [...sessions.keys()]) closeSession(id);
        for (const resolve of pendingAsks.values()) resolve(undefined);
        pendingAsks.clear();
        void core.close().finally(() => {
          post({ type: 'closed' });
          port.close();
        });
        break;
    }
  };

  port.on('message', (raw: unknown) => {
    const parsed = toWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      console.warn(`[pulltrace] core worker: message from main ignored: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return;
    }
    onMessage(parsed.data);
  });
  post({ type: 'ready' });
}
