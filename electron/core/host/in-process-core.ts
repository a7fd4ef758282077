// The core in the calling thread, behind the worker host's interface: the shell's fallback when the
// worker cannot start (its bundle cannot be loaded where the app is installed), so the app still
// works, with the main process's default heap (see core-host.ts for what that costs).
import { ipcTransport, openSession, type BridgeSession } from '../bridge/session.ts';
import { buildCore } from './build-core.ts';
import type { CoreHost, CoreHostOptions } from './core-host.ts';

export function startInProcessCore(options: Omit<CoreHostOptions, 'entry' | 'onExit' | 'log'>): CoreHost {
  const core = buildCore(options.core, async (defaultName) => options.askSavePath?.(defaultName));
  if (options.onNotification !== undefined) core.app.onNotification(options.onNotification);
  const sessions = new Set<BridgeSession>();
  return {
    ready: Promise.resolve(),
    openSession(send, appVersion) {
      const session = openSession(core.app, core.handler, ipcTransport(send), { appVersion });
      sessions.add(session);
      return {
        receive: (raw) => void session.receive(raw),
        close: () => {
          session.close();
          sessions.delete(session);
        },
      };
    },
    close() {
      for (const session of sessions) session.close();
      sessions.clear();
      return core.close();
    },
  };
}
