// One renderer connection, whatever the transport: sends hello + snapshot on start, then coalesced
// deltas at most MAX_DELTAS_PER_SECOND times a second, holding them back while the transport is
// congested; validates every incoming command against the contract and answers each with exactly
// one result. Pull data is windowed: the session indexes every live pull (LiveIndex) and sends only
// what its renderer looks at (`view.set`, SessionView).
import {
  type Command,
  type CommandResult,
  describeInvalid,
  MAX_DELTAS_PER_SECOND,
  PROTOCOL_VERSION,
  requestSchema,
  type ServerMessage,
} from './contract.ts';
import { DeltaCoalescer } from './coalesce.ts';
import { LiveIndex } from './live-index.ts';
import { SessionView } from './session-view.ts';
import type { CoreStateSource, CoreUpdate } from './updates.ts';

export interface CommandHandler {
  handle(command: Command): Promise<CommandResult>;
}

export interface SessionTransport {
  readonly kind: 'ipc' | 'websocket';
  send(message: ServerMessage): void;
  /** True while the consumer has not taken what was sent (e.g. WebSocket bufferedAmount high). */
  congested(): boolean;
}

/** The transport of a session whose messages go out over Electron's IPC (relayed or not): IPC has
 * no send buffer to observe, and the renderer consumes at ≤ 10 Hz. */
export function ipcTransport(send: (message: ServerMessage) => void): SessionTransport {
  return { kind: 'ipc', send, congested: () => false };
}

export interface SessionOptions {
  appVersion: string;
  now?: () => number;
  /** Injected for tests; defaults to setInterval/clearInterval. */
  every?: (fn: () => void, ms: number) => () => void;
}

export interface BridgeSession {
  /** Feeds one raw request (already JSON-decoded) from the renderer. */
  receive(raw: unknown): Promise<void>;
  /** Sends what is pending now if the transport can take it (the timer calls this too). */
  flush(): void;
  close(): void;
}

const defaultEvery = (fn: () => void, ms: number): (() => void) => {
  const handle = setInterval(fn, ms);
  return () => clearInterval(handle);
};

export function openSession(
  source: CoreStateSource,
  handler: CommandHandler,
  transport: SessionTransport,
  options: SessionOptions,
): BridgeSession {
  const now = options.now ?? Date.now;
  const pending = new DeltaCoalescer();
  const index = new LiveIndex();
  const view = new SessionView(index, (cluster, id) => source.pullDetail(cluster, id));
  let closed = false;

  const onUpdate = (update: CoreUpdate): void => {
    switch (update.kind) {
      case 'engine':
        index.applyEngine(update.cluster, update.delta);
        break;
      case 'cluster':
        pending.cluster(update.status);
        break;
      case 'cluster.removed':
        index.dropCluster(update.cluster);
        pending.clusterRemoved(update.cluster);
        break;
      case 'notification':
        pending.notification(update.notification);
        break;
      case 'settings':
        pending.settings(update.settings);
        break;
    }
  };

  transport.send({ type: 'hello', protocol: PROTOCOL_VERSION, transport: transport.kind, appVersion: options.appVersion });
  // Subscribe before taking the snapshot: nothing can then fall between the two.
  const unsubscribe = source.subscribe(onUpdate);
  const snapshot = source.snapshot();
  index.load(snapshot);
  transport.send({ type: 'snapshot', at: snapshot.at, clusters: snapshot.clusters, settings: snapshot.settings, ...view.take(now()) });

  const flush = (): void => {
    if (closed || transport.congested()) return;
    const at = now();
    const core = pending.take();
    const parts = view.take(at);
    if (core === undefined && Object.keys(parts).length === 0) return;
    transport.send({ type: 'delta', at, clusters: [], clustersRemoved: [], notifications: [], ...core, ...parts });
  };
  const stopTimer = (options.every ?? defaultEvery)(flush, 1000 / MAX_DELTAS_PER_SECOND);

  return {
    async receive(raw) {
      const parsed = requestSchema.safeParse(raw);
      if (!parsed.success) {
        const id = requestIdOf(raw);
        const message = `invalid command: ${describeInvalid(parsed.error)}`;
        if (!closed) transport.send({ type: 'result', id, result: { ok: false, error: { code: 'invalid-request', message } } });
        return;
      }
      const command = parsed.data.command;
      if (command.type === 'view.set') {
        // Per connection: the core's handler never sees it.
        view.set(command.view);
        if (!closed) transport.send({ type: 'result', id: parsed.data.id, result: { ok: true, value: {} } });
        return;
      }
      let result: CommandResult;
      try {
        result = await handler.handle(command);
      } catch (error) {
        // A handler should answer with {ok:false}; a throw is a bug, still answered, never silent.
        result = { ok: false, error: { code: 'failed', message: error instanceof Error ? error.message : String(error) } };
      }
      if (!closed) transport.send({ type: 'result', id: parsed.data.id, result });
    },
    flush,
    close() {
      closed = true;
      stopTimer();
      unsubscribe();
    },
  };
}

/** The id of a malformed request when it has a usable one, so the caller's promise still settles;
 * -1 otherwise (the client treats it as a protocol error). */
function requestIdOf(raw: unknown): number {
  if (typeof raw === 'object' && raw !== null && 'id' in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0) return id;
  }
  return -1;
}
