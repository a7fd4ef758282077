// The Electron shell: thin glue around the core, which runs in a worker thread (electron/core/host).
// One window with saved bounds, a single instance, the app menu, native notifications, the CSV save
// dialog, and a clean quit that stops the core (streams, watches, port-forwards) before the process
// exits.
import { app, BrowserWindow, dialog, Menu, Notification, screen, session } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCoreHost, type CoreHost, type CoreHostOptions } from '../core/host/core-host.ts';
import { startInProcessCore } from '../core/host/in-process-core.ts';
import { registerIpcBridge } from './ipc.ts';
import { menuTemplate } from './menu.ts';
import { registerAppScheme, serveRenderer } from './renderer-protocol.ts';
import { APP_ORIGIN, createWebPreferences, hardenContents, hardenSession } from './security.ts';
import { defaultSize, loadBounds, saveBounds } from './window-state.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const devUrl = process.env.ELECTRON_RENDERER_URL;
// Packaged: recordings ship as an extra resource; in a checkout they are in fixtures/.
const recordingsDir = app.isPackaged ? path.join(process.resourcesPath, 'recordings') : path.join(here, '..', '..', 'fixtures', 'recordings');
const agentDir = app.isPackaged ? path.join(process.resourcesPath, 'agent') : path.join(here, '..', 'agent');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();
  void app.whenReady().then(start);
}

/** A core that dies sooner than this after start is not restarted (it would die again). */
const RESTART_AFTER_MS = 60_000;

async function start(): Promise<void> {
  const startedAt = Date.now();
  const userData = app.getPath('userData');
  const core = await startCore(
    {
      core: { recordingsDir, dataDir: userData, agentDir, version: app.getVersion(), settingsFile: path.join(userData, 'settings.json') },
      askSavePath: async (defaultName) => {
        const window = BrowserWindow.getFocusedWindow();
        const options = { defaultPath: defaultName, filters: [{ name: 'CSV', extensions: ['csv'] }] };
        const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
        return result.canceled ? undefined : result.filePath;
      },
      onNotification: (n) => {
        if (!Notification.isSupported()) return;
        const title = n.kind === 'failed' ? 'Pull failed' : n.kind === 'stalled' ? 'Pull stalled' : 'Pull finished';
        new Notification({ title, body: n.message, silent: n.kind === 'finished' }).show();
      },
    },
    startedAt,
  );
  const unregister = registerIpcBridge(core, {
    appVersion: app.getVersion(),
    devUrl,
    onRejected: (reason) => console.warn(`[pulltrace] ${reason}`),
  });

  hardenSession(session.defaultSession);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, devUrl));
  serveRenderer(path.join(here, '..', 'renderer'));
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(process.platform, app.getName(), devUrl !== undefined)));

  const boundsFile = path.join(userData, 'window.json');
  const window = createWindow(boundsFile);
  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    unregister();
    void core.close().finally(() => app.exit(0));
  });
  app.on('window-all-closed', () => app.quit());
}

/** The core in its worker thread (built beside this file: electron.vite.config.ts, the main build's
 * second entry). If the worker cannot start, the core runs in this thread instead, with the main
 * process's default heap: the app works either way. */
async function startCore(options: Omit<CoreHostOptions, 'entry' | 'onExit'>, startedAt: number): Promise<CoreHost> {
  const host = startCoreHost({
    ...options,
    entry: new URL('./core-worker.js', import.meta.url),
    // Out of memory or a defect: say so and start afresh (history is on disk; live state comes back
    // from the clusters), unless it happened right after a start: then restarting would loop.
    onExit: (reason) => {
      const restart = Date.now() - startedAt > RESTART_AFTER_MS;
      dialog.showErrorBox('pulltrace stopped', `${reason}\n\n${restart ? 'pulltrace will restart.' : 'It stopped within a minute of starting: not restarting.'}`);
      if (restart) app.relaunch();
      app.exit(1);
    },
  });
  try {
    await host.ready;
    return host;
  } catch (error) {
    console.warn(`[pulltrace] ${error instanceof Error ? error.message : String(error)}; running the core in the main process`);
    return startInProcessCore(options);
  }
}

function createWindow(boundsFile: string): BrowserWindow {
  const saved = loadBounds(boundsFile, screen.getAllDisplays().map((d) => d.workArea));
  const window = new BrowserWindow({
    ...(saved ? { x: saved.x, y: saved.y, width: saved.width, height: saved.height } : defaultSize),
    minWidth: 800,
    minHeight: 500,
    show: false,
    title: 'pulltrace',
    webPreferences: createWebPreferences(path.join(here, '..', 'preload', 'index.cjs')),
  });
  if (saved?.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  window.on('close', () => saveBounds(boundsFile, { ...window.getNormalBounds(), maximized: window.isMaximized() }));
  void window.loadURL(devUrl ?? `${APP_ORIGIN}/index.html`);
  return window;
}
