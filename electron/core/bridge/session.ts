// One renderer connection, whatever the transport: sends hello + snapshot on start, then coalesced
// deltas at most MAX_DELTAS_PER_SECOND times a second, holding them back while the transport is
// congested; validates every incoming command against the contract and answers each with exactly
// one result.
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
import type { CoreStateSource } from './updates.ts';

export interface CommandHandler {
  handle(command: Command): Promise<CommandResult>;
}

export interface SessionTransport {
  readonly kind: 'ipc' | 'websocket';
  send(message: ServerMessage): void;
  /** True while the consumer has not taken what was sent (e.g. WebSocket bufferedAmount high). */
  congested(): boolean;
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
  let closed = false;

  transport.send({ type: 'hello', protocol: PROTOCOL_VERSION, transport: transport.kind, appVersion: options.appVersion });
  // Subscribe before taking the snapshot: an update racing the snapshot is then re-sent in the
  // first delta (harmless, the views are idempotent) instead of being lost.
  const unsubscribe = source.subscribe((update) => pending.add(update));
  transport.send({ type: 'snapshot', ...source.snapshot() });

  const flush = (): void => {
    if (closed || transport.congested()) return;
    const message = pending.takeDue(now());
    if (message !== undefined) transport.send(message);
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
      let result: CommandResult;
      try {
        result = await handler.handle(parsed.data.command);
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
