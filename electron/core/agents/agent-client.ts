// The desktop's side of proto/agent.proto: one Watch session with one agent. It checks the
// protocol major both ways (the request carries ours; the Hello carries the agent's), validates
// every frame with zod, and hands frames out as events or an async iterator. Reconnecting and
// port-forwarding live above it (electron/core/kube): a session that ends stays ended.
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { frameSchema, type AgentFrame, type AgentHello } from './frames-schema.ts';

export const AGENT_LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

export type AgentClientErrorKind = 'unreachable' | 'protocol' | 'refused' | 'dropped' | 'ended' | 'timeout';

export class AgentClientError extends Error {
  readonly kind: AgentClientErrorKind;
  readonly grpcCode: number | undefined;
  constructor(kind: AgentClientErrorKind, message: string, grpcCode?: number) {
    super(message);
    this.name = 'AgentClientError';
    this.kind = kind;
    this.grpcCode = grpcCode;
  }
}

interface AgentProto {
  Agent: grpc.ServiceClientConstructor;
  protocolMajor: number;
}

let cached: AgentProto | null = null;

/** Loads proto/agent.proto (the desktop's copy of the contract) once. */
export function loadAgentProto(protoPath = fileURLToPath(new URL('../../../proto/agent.proto', import.meta.url))): AgentProto {
  if (cached) return cached;
  const definition = protoLoader.loadSync(protoPath, AGENT_LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { pulltrace: { agent: { v1: { Agent: grpc.ServiceClientConstructor } } } };
  const enumDef = definition['pulltrace.agent.v1.ProtocolVersion'] as unknown as { type: { value: { name: string; number: number }[] } };
  const major = enumDef.type.value.find((v) => v.name === 'PROTOCOL_MAJOR')?.number;
  if (major === undefined) throw new Error(`${protoPath} lacks ProtocolVersion.PROTOCOL_MAJOR`);
  cached = { Agent: pkg.pulltrace.agent.v1.Agent, protocolMajor: major };
  return cached;
}

export interface AgentClientOptions {
  host: string;
  port: number;
  /** free text shown in the agent's log */
  clientName?: string;
  /** time allowed from the call to the Hello frame */
  helloTimeoutMs?: number;
  /** ends the session when no frame came for this long after Hello (default: 2.5 heartbeats, ≥ 5 s) */
  silenceTimeoutMs?: number;
  /** overrides our protocol major (tests of the mismatch path) */
  protocolMajor?: number;
}

export interface AgentSessionEvents {
  frame: [AgentFrame];
  /** a frame that failed validation; it is skipped and counted */
  invalid: [string];
  end: [AgentClientError | null];
}

/** Heartbeats missed in a row before a stream counts as dead, and the least silence allowed. */
const SILENT_HEARTBEATS = 2.5;
const SILENCE_MIN_MS = 5_000;

export class AgentSession extends EventEmitter<AgentSessionEvents> {
  readonly hello: Promise<AgentHello>;
  invalidFrames = 0;
  private ended = false;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientReadableStream<unknown>;
  private readonly ourMajor: number;

  constructor(opts: AgentClientOptions) {
    super();
    const proto = loadAgentProto();
    this.ourMajor = opts.protocolMajor ?? proto.protocolMajor;
    this.client = new proto.Agent(`${opts.host}:${opts.port}`, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 32 * 1024 * 1024,
    });
    const watch = (this.client as unknown as Record<string, (req: unknown) => grpc.ClientReadableStream<unknown>>).watch!;
    this.call = watch.call(this.client, { protocolMajor: this.ourMajor, client: opts.clientName ?? 'pulltrace-desktop' });

    let gotHello: (h: AgentHello) => void = () => {};
    let noHello: (e: AgentClientError) => void = () => {};
    this.hello = new Promise<AgentHello>((resolve, reject) => {
      gotHello = resolve;
      noHello = reject;
    });
    this.hello.catch(() => {}); // observed through 'end' too; never an unhandled rejection
    const helloTimer = setTimeout(
      () => this.finish(new AgentClientError('timeout', `no Hello from the agent at ${opts.host}:${opts.port} within ${opts.helloTimeoutMs ?? 10_000} ms`)),
      opts.helloTimeoutMs ?? 10_000,
    );
    let sawHello = false;
    // The agent sends a heartbeat every hello.heartbeatMs. A stream that goes silent for several of
    // them is dead even if nothing says so: a port-forward through an API server that restarted
    // can leave the local socket open with nothing behind it. End it, so the caller reconnects.
    let silence: NodeJS.Timeout | undefined;
    let silenceMs = 0;
    const armSilence = (): void => {
      clearTimeout(silence);
      silence = setTimeout(
        () => this.finish(new AgentClientError('timeout', `no frame from the agent at ${opts.host}:${opts.port} for ${silenceMs} ms (heartbeats stopped)`)),
        silenceMs,
      );
      silence.unref();
    };
    this.on('end', () => clearTimeout(silence));

    this.call.on('data', (raw: unknown) => {
      const parsed = frameSchema.safeParse(raw);
      if (!parsed.success) {
        this.invalidFrames++;
        const issue = parsed.error.issues[0];
        this.emit('invalid', `frame rejected: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
        return;
      }
      const frame = parsed.data;
      if (!sawHello) {
        if (frame.body !== 'hello') return this.finish(new AgentClientError('protocol', `agent sent ${frame.body} before Hello`));
        if (frame.hello.protocolMajor !== this.ourMajor) {
          return this.finish(
            new AgentClientError(
              'protocol',
              `protocol mismatch: agent speaks pulltrace protocol ${frame.hello.protocolMajor}, desktop speaks ${this.ourMajor} (${frame.hello.protocolMajor > this.ourMajor ? 'upgrade the desktop' : 'upgrade the agent'})`,
            ),
          );
        }
        sawHello = true;
        clearTimeout(helloTimer);
        silenceMs = opts.silenceTimeoutMs ?? Math.max(SILENCE_MIN_MS, SILENT_HEARTBEATS * frame.hello.heartbeatMs);
        gotHello(frame.hello);
      }
      if (!this.ended) armSilence();
      this.emit('frame', frame);
    });
    this.call.on('error', (err: grpc.ServiceError) => {
      clearTimeout(helloTimer);
      this.finish(classify(err, opts));
    });
    this.call.on('end', () => {
      clearTimeout(helloTimer);
      this.finish(new AgentClientError('ended', 'the agent ended the Watch stream'));
    });
    this.on('end', (err) => noHello(err ?? new AgentClientError('ended', 'session closed before Hello')));
  }

  get closed(): boolean {
    return this.ended;
  }

  private finish(err: AgentClientError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.call.cancel();
    this.client.close();
    this.emit('end', err);
  }

  /** Ends the session from our side; 'end' is emitted with null. */
  close(): void {
    this.finish(null);
  }

  /** Frames as an async iterator, from the moment this is called (call it before awaiting
   * anything); it throws the session's error, if any, after the last frame. */
  frames(): AsyncGenerator<AgentFrame, void, undefined> {
    const queue: AgentFrame[] = [];
    let done: { err: AgentClientError | null } | null = this.ended ? { err: null } : null;
    let wake: (() => void) | null = null;
    const onFrame = (f: AgentFrame): void => {
      queue.push(f);
      wake?.();
    };
    const onEnd = (err: AgentClientError | null): void => {
      done = { err };
      wake?.();
    };
    this.on('frame', onFrame);
    this.on('end', onEnd);
    const detach = (): void => {
      this.off('frame', onFrame);
      this.off('end', onEnd);
    };
    return (async function* iterate(): AsyncGenerator<AgentFrame, void, undefined> {
      try {
        for (;;) {
          const next = queue.shift();
          if (next) {
            yield next;
            continue;
          }
          if (done) {
            if (done.err) throw done.err;
            return;
          }
          await new Promise<void>((r) => (wake = r));
          wake = null;
        }
      } finally {
        detach();
      }
    })();
  }
}

function classify(err: grpc.ServiceError, opts: AgentClientOptions): AgentClientError {
  const where = `${opts.host}:${opts.port}`;
  switch (err.code) {
    case grpc.status.CANCELLED:
      return new AgentClientError('ended', `Watch to ${where} cancelled`, err.code);
    case grpc.status.UNAVAILABLE:
      return new AgentClientError('unreachable', `agent at ${where} unreachable: ${err.details}`, err.code);
    case grpc.status.FAILED_PRECONDITION:
      return new AgentClientError('protocol', err.details, err.code);
    case grpc.status.RESOURCE_EXHAUSTED:
      return new AgentClientError('dropped', `agent at ${where} dropped this watcher: ${err.details}`, err.code);
    default:
      return new AgentClientError('refused', `Watch to ${where} failed (${grpc.status[err.code] ?? err.code}): ${err.details}`, err.code);
  }
}

/** Opens a Watch session; frames start flowing at once (subscribe before awaiting `hello`). */
export function connectAgent(opts: AgentClientOptions): AgentSession {
  return new AgentSession(opts);
}
