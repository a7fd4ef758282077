// pulltrace agent entry point: `node pulltrace-agent.cjs [--socket PATH] [--namespace NS] ...`
// (every flag also has a PULLTRACE_* environment variable; see config.ts and docs/agent.md).
// First: re-executes node with the agent's V8 flags before any other module is loaded.
import './node-flags.ts';
import pkg from '../package.json' with { type: 'json' };
import { Collector } from './collector.ts';
import { ConfigError, loadConfig } from './config.ts';
import { ContainerdClient } from './containerd/client.ts';
import type { FrameBody } from './frames.ts';
import { Hub } from './hub.ts';
import { createLogger, errorText } from './log.ts';
import { AgentMetrics, serveMetrics } from './metrics.ts';
import { loadProtos } from './protos.ts';
import { AgentServer } from './server.ts';

export const AGENT_VERSION: string = pkg.version;
/** Additive changes to proto/agent.proto since the major was set. */
export const PROTOCOL_MINOR = 0;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: err.message }) + '\n');
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  let stopping = false;
  const protos = loadProtos();
  const metrics = new AgentMetrics(config.maxRepositories);
  const client = new ContainerdClient(protos, config.socket, config.namespace);

  let hub: Hub | null = null;
  let server: AgentServer | null = null;
  const publish = (body: FrameBody): void => {
    hub?.broadcast(body);
    if ('health' in body) server?.healthChanged();
  };
  const onSocketReplaced = (): void => {
    log.error('containerd socket replaced', {
      socket: config.socket,
      error: `${config.socket} was removed on the host (containerd restarted and listens on a new socket file, which this container's mount cannot show): exiting so the kubelet starts the container again with the new socket mounted`,
    });
    stop('socket-replaced', 1);
  };
  const collector = new Collector({ client, protos, opts: config, metrics, log, publish, onSocketReplaced });
  hub = new Hub({ queueLimit: config.watcherQueue, slowWatcherMs: config.slowWatcherMs, maxWatchers: config.maxWatchers }, metrics, log, (resync) =>
    collector.snapshot(resync),
  );
  const theHub = hub;
  server = new AgentServer({
    protos,
    hub,
    metrics,
    log,
    containerdHealth: () => collector.currentHealth,
    firstFrames: () => [{ snapshot: collector.snapshot(false) }, { health: collector.currentHealth }],
    hello: () => ({
      hello: {
        protocolMajor: protos.protocolMajor,
        protocolMinor: PROTOCOL_MINOR,
        node: config.node,
        agentVersion: AGENT_VERSION,
        containerdVersion: collector.containerdVersion?.version ?? '',
        containerdRevision: collector.containerdVersion?.revision ?? '',
        namespace: config.namespace,
        socket: config.socket,
        pollActiveMs: config.pollActiveMs,
        pollIdleMs: config.pollIdleMs,
        heartbeatMs: config.heartbeatMs,
      },
    }),
  });
  const theServer = server;
  const grpcPort = await theServer.listen(config.grpcPort);
  const metricsServer = await serveMetrics(metrics, config.metricsHost, config.metricsPort);
  const metricsAddress = metricsServer.address();
  const metricsPort = typeof metricsAddress === 'object' && metricsAddress ? metricsAddress.port : config.metricsPort;

  const heartbeat = setInterval(() => {
    theHub.heartbeat(
      (w) => ({ heartbeat: { liveIngests: collector.liveIngestCount, containerdUp: collector.currentHealth.containerdUp, coalescedFrames: w.coalescedFrames } }),
      (w, why) => AgentServer.drop(w.sink, why),
    );
  }, config.heartbeatMs);
  collector.start();
  log.info('agent ready', {
    version: AGENT_VERSION,
    protocol: `${protos.protocolMajor}.${PROTOCOL_MINOR}`,
    node: config.node,
    grpc: `127.0.0.1:${grpcPort}`,
    grpcPort,
    metrics: `${config.metricsHost}:${metricsPort}`,
    metricsPort,
    socket: config.socket,
    namespace: config.namespace,
  });

  // Hoisted: the collector may call it (socket replaced), but only once everything below is set.
  function stop(why: string, code: number): void {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { why });
    clearInterval(heartbeat);
    collector.stop();
    theHub.closeAll();
    void theServer
      .shutdown()
      .then(() => new Promise<void>((r) => metricsServer.close(() => r())))
      .finally(() => {
        client.close();
        process.exit(code);
      });
  }
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('unhandledRejection', (reason) => {
    // a bug, not bad input (that is validated): log it loudly but keep serving
    metrics.bad('unhandled-rejection');
    log.error('unhandled rejection', { error: errorText(reason) });
  });
}

main().catch((err: unknown) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'agent failed to start', error: errorText(err) }) + '\n');
  process.exit(1);
});
