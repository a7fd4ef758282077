// The two raw transports: Electron's preload API (window.pulltrace) or serve mode's WebSocket with
// the token from the page URL's fragment (never sent to the server in HTTP requests or logs).
import { PRELOAD_GLOBAL, type PreloadApi } from '../../../electron/core/bridge/contract.ts';
import type { RawTransport } from './client.ts';

export function preloadApi(): PreloadApi | undefined {
  const candidate = (window as unknown as Record<string, unknown>)[PRELOAD_GLOBAL];
  return typeof candidate === 'object' && candidate !== null ? (candidate as PreloadApi) : undefined;
}

export function ipcTransport(api: PreloadApi): RawTransport {
  return {
    open(onMessage, onState) {
      api.onMessage(onMessage);
      onState({ status: 'open' });
      api.ready();
    },
    send: (request) => api.send(request),
  };
}

export function tokenFromLocation(location: Location): string | undefined {
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  return token === null || token === '' ? undefined : token;
}

/** Reconnects with a capped backoff: serve mode may be restarted under the page. */
export function webSocketTransport(url: string): RawTransport {
  let socket: WebSocket | undefined;
  let queue: string[] = [];
  let attempt = 0;
  return {
    open(onMessage, onState) {
      const connect = (): void => {
        onState({ status: 'connecting' });
        const ws = new WebSocket(url);
        socket = ws;
        ws.onopen = () => {
          attempt = 0;
          onState({ status: 'open' });
          for (const text of queue) ws.send(text);
          queue = [];
        };
        ws.onmessage = (event) => {
          if (typeof event.data !== 'string') return;
          try {
            onMessage(JSON.parse(event.data));
          } catch {
            onMessage(undefined);
          }
        };
        ws.onclose = (event) => {
          onState({ status: 'closed', reason: event.code === 1006 ? 'the serve process is gone or refused the token' : `closed (${event.code})` });
          attempt++;
          setTimeout(connect, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
        };
      };
      connect();
    },
    send(request) {
      const text = JSON.stringify(request);
      if (socket?.readyState === WebSocket.OPEN) socket.send(text);
      else queue.push(text);
    },
  };
}
