// The renderer's side of the bridge, the same over both transports: numbered commands with one
// promise each, server messages validated against the contract before the store sees them.
import {
  parseCommandValue,
  serverMessageSchema,
  describeInvalid,
  type BridgeApi,
  type CommandOf,
  type CommandRequest,
  type CommandResult,
  type CommandType,
  type ServerMessage,
} from '../../../electron/core/bridge/contract.ts';

/** A raw message pipe: the preload API or a WebSocket. */
export interface RawTransport {
  /** Starts (or restarts) the connection; the server then sends hello + snapshot. */
  open(onMessage: (raw: unknown) => void, onState: (state: TransportState) => void): void;
  send(request: CommandRequest): void;
}

export type TransportState = { status: 'connecting' } | { status: 'open' } | { status: 'closed'; reason: string };

export interface BridgeClient extends BridgeApi {
  onState(listener: (state: TransportState) => void): () => void;
  /** Messages that failed validation (a core/renderer version mismatch, not user error). */
  onProtocolError(listener: (message: string) => void): () => void;
}

export function createBridgeClient(transport: RawTransport): BridgeClient {
  let nextId = 1;
  const pending = new Map<number, { type: CommandType; resolve: (r: CommandResult) => void }>();
  const listeners = new Set<(m: ServerMessage) => void>();
  const stateListeners = new Set<(s: TransportState) => void>();
  const errorListeners = new Set<(m: string) => void>();

  const onMessage = (raw: unknown): void => {
    const parsed = serverMessageSchema.safeParse(raw);
    if (!parsed.success) {
      for (const l of errorListeners) l(`unexpected message from the core: ${describeInvalid(parsed.error)}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'result') {
      const waiting = pending.get(message.id);
      if (waiting === undefined) {
        if (!message.result.ok) for (const l of errorListeners) l(message.result.error.message);
        return;
      }
      pending.delete(message.id);
      waiting.resolve(message.result.ok ? parseCommandValue(waiting.type, message.result.value) : message.result);
      return;
    }
    for (const l of listeners) l(message);
  };

  const onState = (state: TransportState): void => {
    if (state.status === 'closed') {
      // Commands in flight will never be answered by this connection.
      for (const waiting of pending.values()) waiting.resolve({ ok: false, error: { code: 'failed', message: `connection to the core lost (${state.reason})` } });
      pending.clear();
    }
    for (const l of stateListeners) l(state);
  };

  transport.open(onMessage, onState);

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    invoke<T extends CommandType>(command: CommandOf<T>): Promise<CommandResult<T>> {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, { type: command.type, resolve: resolve as (r: CommandResult) => void });
        transport.send({ id, command });
      });
    },
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    onProtocolError(listener) {
      errorListeners.add(listener);
      return () => errorListeners.delete(listener);
    },
  };
}
