import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { Session, WebContents, WebFrameMain } from 'electron';
import { createWebPreferences, hardenContents, hardenSession, isAllowedUrl, isTrustedSender, RENDERER_CSP } from './security.ts';

describe('window security settings', () => {
  it('pins the webPreferences', () => {
    expect(createWebPreferences('/app/out/preload/index.cjs')).toEqual({
      preload: '/app/out/preload/index.cjs',
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
      disableBlinkFeatures: 'Auxclick',
    });
  });

  it('has a strict CSP: no inline or eval script, nothing but self', () => {
    expect(RENDERER_CSP).toContain("default-src 'none'");
    expect(RENDERER_CSP).toContain("script-src 'self'");
    expect(RENDERER_CSP).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('allows only our origin by parsed URL, not by prefix', () => {
    expect(isAllowedUrl('app://renderer/index.html')).toBe(true);
    expect(isAllowedUrl('app://renderer.evil.com/index.html')).toBe(false);
    expect(isAllowedUrl('https://example.com')).toBe(false);
    expect(isAllowedUrl('file:///etc/passwd')).toBe(false);
    expect(isAllowedUrl('http://localhost:5173/x', 'http://localhost:5173')).toBe(true);
    expect(isAllowedUrl('http://localhost:5174/x', 'http://localhost:5173')).toBe(false);
  });

  it('trusts IPC only from our top-level frame', () => {
    const frame = (url: string, parent: unknown = null) => ({ url, parent }) as unknown as WebFrameMain;
    expect(isTrustedSender(frame('app://renderer/index.html'))).toBe(true);
    expect(isTrustedSender(frame('app://renderer/index.html', {}))).toBe(false);
    expect(isTrustedSender(frame('https://evil.example/'))).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });

  it('blocks navigation, new windows and webviews; denies permissions', () => {
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: vi.fn() });
    hardenContents(contents as unknown as WebContents);
    const navigate = { preventDefault: vi.fn() };
    contents.emit('will-navigate', navigate, 'https://evil.example/');
    expect(navigate.preventDefault).toHaveBeenCalled();
    const internal = { preventDefault: vi.fn() };
    contents.emit('will-navigate', internal, 'app://renderer/index.html');
    expect(internal.preventDefault).not.toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    const openHandler = contents.setWindowOpenHandler.mock.calls[0]?.[0] as () => { action: string };
    expect(openHandler()).toEqual({ action: 'deny' });

    const session = Object.assign(new EventEmitter(), { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() });
    hardenSession(session as unknown as Session);
    const request = session.setPermissionRequestHandler.mock.calls[0]?.[0] as (c: unknown, p: string, cb: (ok: boolean) => void) => void;
    const granted = vi.fn();
    request({}, 'notifications', granted);
    expect(granted).toHaveBeenCalledWith(false);
    const check = session.setPermissionCheckHandler.mock.calls[0]?.[0] as () => boolean;
    expect(check()).toBe(false);
  });
});
