// The core as the shell runs it, wherever it runs: backends, the app, and the command handler with
// the save dialog's round trip. Built in the worker thread (core-worker.ts), or in the main thread
// when a worker cannot start (in-process-core.ts).
import { createApp, type App } from '../app/app.ts';
import { openBackends } from '../app/backends.ts';
import { createSettingsStore } from '../app/settings.ts';
import type { CommandHandler } from '../bridge/session.ts';
import type { CoreWorkerOptions } from './protocol.ts';
import { withSaveDialog, type AskSavePath } from './save-dialog.ts';

export interface BuiltCore {
  app: App;
  /** The app's commands, `history.export` to a dialog included. */
  handler: CommandHandler;
  /** Closes the app (streams, watches, timers), then the history store. */
  close(): Promise<void>;
}

export function buildCore(options: CoreWorkerOptions, askSavePath: AskSavePath): BuiltCore {
  const backends = openBackends({ dataDir: options.dataDir, historyDir: options.historyDir, agentDir: options.agentDir, version: options.version });
  const app = createApp({ recordingsDir: options.recordingsDir, ...backends, settings: createSettingsStore(options.settingsFile) });
  return {
    app,
    handler: withSaveDialog(app, askSavePath),
    close: () => app.close().finally(() => backends.close()),
  };
}
