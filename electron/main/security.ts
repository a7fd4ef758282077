// Every Electron security control in one place, so a test can pin them (security.test.ts):
// the window's webPreferences, navigation and window.open blocked, permission requests denied,
// <webview> refused, and the check that an IPC message comes from our own page.
import type { Session, WebContents, WebFrameMain, WebPreferences } from 'electron';

/** The renderer's origin: a custom, privileged scheme instead of file:// (security checklist 18). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'renderer';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export function createWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    // Middle-click opens links in a new window: refused by the window-open handler anyway, and
    // disabled at the source (Electronegativity AUXCLICK_JS_CHECK).
    disableBlinkFeatures: 'Auxclick',
  };
}

/** The page may only be our own renderer (or the electron-vite dev server in development). */
export function isAllowedUrl(url: string, devUrl?: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // Compare parsed origins, never string prefixes (`app://renderer.evil` must not pass).
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST) return true;
  if (devUrl !== undefined) {
    const dev = new URL(devUrl);
    return parsed.origin === dev.origin;
  }
  return false;
}

export function isTrustedSender(frame: WebFrameMain | null | undefined, devUrl?: string): boolean {
  return frame !== null && frame !== undefined && frame.parent === null && isAllowedUrl(frame.url, devUrl);
}

export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.on('will-download', (event) => event.preventDefault());
}

export function hardenContents(contents: WebContents, devUrl?: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedUrl(url, devUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedUrl(url, devUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
