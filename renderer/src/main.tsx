// Entry: picks the transport (Electron preload API, else serve mode's WebSocket with the token from
// the URL fragment), feeds the store from the bridge, renders the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBridgeClient, type RawTransport } from './bridge/client.ts';
import { ipcTransport, preloadApi, tokenFromLocation, webSocketTransport } from './bridge/transports.ts';
import { createPulltraceStore } from './store/store.ts';
import { syncView } from './bridge/view-sync.ts';
import { CoreContext, type Core } from './store/context.tsx';
import { App } from './App.tsx';
import { Fatal } from './views/States.tsx';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);
const api = preloadApi();
const token = tokenFromLocation(window.location);

if (api === undefined && token === undefined) {
  root.render(<Fatal title="No access token" detail="Open the full URL printed by `npm run serve` (it ends with #token=…)." />);
} else {
  const transport: RawTransport = api ? ipcTransport(api) : webSocketTransport(`ws://${window.location.host}/bridge?token=${encodeURIComponent(token ?? '')}`);
  const store = createPulltraceStore();
  const bridge = createBridgeClient(transport);
  bridge.subscribe((message) => store.getState().apply(message));
  bridge.onState((state) => store.getState().setConnection(state));
  bridge.onProtocolError((message) => store.getState().setProtocolError(message));
  syncView(bridge, store);
  const core: Core = { store, bridge, transport: api ? 'ipc' : 'websocket' };
  root.render(
    <StrictMode>
      <CoreContext value={core}>
        <App />
      </CoreContext>
    </StrictMode>,
  );
}
