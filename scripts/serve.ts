// Serve mode: `npm run serve [-- --port 8080] [--host ADDR --allow-remote] [--demo] [--history-dir DIR]`.
// The real core (engines, replay demo, kubeconfig contexts) behind the loopback HTTP + WebSocket
// bridge, serving the built renderer (out/renderer). Prints the URL with its one-time token.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createApp } from '../electron/core/app/app.ts';
import { openBackends } from '../electron/core/app/backends.ts';
import { startServe } from '../electron/core/bridge/serve-server.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'allow-remote': { type: 'boolean', default: false },
    demo: { type: 'boolean', default: false },
    recordings: { type: 'string', default: path.join(root, 'fixtures', 'recordings') },
    renderer: { type: 'string', default: path.join(root, 'out', 'renderer') },
    'history-dir': { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be an integer between 0 and 65535, got ${values.port}`);
  process.exit(2);
}

const backends = openBackends({ historyDir: values['history-dir'], agentDir: path.join(root, 'out', 'agent'), version: process.env.npm_package_version ?? '0.1.0' });
const app = createApp({ recordingsDir: values.recordings, ...backends });
let serve;
try {
  serve = await startServe(app, app, {
    rendererDir: values.renderer,
    host: values.host,
    port,
    allowRemote: values['allow-remote'],
    appVersion: process.env.npm_package_version ?? 'dev',
  });
} catch (error) {
  console.error(`serve: ${error instanceof Error ? error.message : String(error)}`);
  await app.close();
  backends.close();
  process.exit(1);
}
if (values.demo) {
  const started = await app.handle({ type: 'demo.start' });
  if (!started.ok) console.error(`demo: ${started.error.message}`);
}
// The one line tests and scripts wait for; the token makes it a secret: do not paste it around.
console.error(`history: ${backends.historyPath}`);
console.log(`pulltrace serve mode: open ${serve.url}`);

let closing = false;
const shutdown = async (): Promise<void> => {
  if (closing) return;
  closing = true;
  await serve.close();
  await app.close();
  backends.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
