// A typed, read-only containerd client over its unix socket. Every answer is validated; a call
// that cannot reach containerd rejects with the gRPC error, which health.ts turns into a reason.
import * as grpc from '@grpc/grpc-js';
import type * as z from '../zod.ts';
import { lookupService, type Protos } from '../protos.ts';
import {
  envelopeSchema,
  imageResponseSchema,
  infoResponseSchema,
  listContentResponseSchema,
  listStatusesSchema,
  readResponseSchema,
  statusSchema,
  versionSchema,
  type BlobInfo,
  type ContainerdStatus,
  type ContainerdVersion,
  type Envelope,
  type ImageRecord,
} from './schemas.ts';

/** containerd answered, but not with what its API promises. */
export function issueText(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}

export class BadAnswerError extends Error {
  readonly kind: string;
  constructor(kind: string, detail: string) {
    super(`containerd sent a malformed ${kind}: ${detail}`);
    this.kind = kind;
  }
}

export function grpcCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
}

const CALL_TIMEOUT_MS = 5_000;

type Callback = (err: grpc.ServiceError | null, value?: unknown) => void;
type UnaryMethod = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall;
type StreamMethod = (req: unknown, md: grpc.Metadata, opts?: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;

export interface ListStatusesResult {
  statuses: ContainerdStatus[];
  /** entries dropped: malformed, or beyond the configured cap */
  malformed: number;
  truncated: number;
}

export class ContainerdClient {
  readonly socket: string;
  readonly namespace: string;
  private readonly channel: grpc.Channel;
  private readonly clients: Record<'content' | 'images' | 'events' | 'version', grpc.Client>;

  constructor(protos: Protos, socket: string, namespace: string) {
    this.socket = socket;
    this.namespace = namespace;
    const target = `unix://${socket}`;
    this.channel = new grpc.Channel(target, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': 5_000,
      // ListStatuses with thousands of ingests or a 4 MiB manifest still fit; beyond is an error
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    });
    const make = (name: string): grpc.Client => {
      const Ctor = lookupService(protos.root, name);
      return new Ctor(target, grpc.credentials.createInsecure(), { channelOverride: this.channel });
    };
    this.clients = {
      content: make('containerd.services.content.v1.Content'),
      images: make('containerd.services.images.v1.Images'),
      events: make('containerd.services.events.v1.Events'),
      version: make('containerd.services.version.v1.Version'),
    };
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set('containerd-namespace', this.namespace);
    return md;
  }

  private unary<S extends z.ZodMiniType>(client: keyof ContainerdClient['clients'], method: string, req: unknown, schema: S, kind: string): Promise<z.output<S>> {
    const fn = (this.clients[client] as unknown as Record<string, UnaryMethod>)[method]!;
    return new Promise((resolve, reject) => {
      fn.call(this.clients[client], req, this.metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, value) => {
        if (err) return reject(err);
        const parsed = schema.safeParse(value);
        if (!parsed.success) return reject(new BadAnswerError(kind, issueText(parsed.error)));
        resolve(parsed.data);
      });
    });
  }

  private stream(client: keyof ContainerdClient['clients'], method: string, req: unknown, opts?: grpc.CallOptions): grpc.ClientReadableStream<unknown> {
    const fn = (this.clients[client] as unknown as Record<string, StreamMethod>)[method]!;
    return fn.call(this.clients[client], req, this.metadata(), opts);
  }

  version(): Promise<ContainerdVersion> {
    return this.unary('version', 'Version', {}, versionSchema, 'version answer');
  }

  async listStatuses(maxIngests: number): Promise<ListStatusesResult> {
    const res = await this.unary('content', 'ListStatuses', { filters: [] }, listStatusesSchema, 'ListStatuses answer');
    const statuses: ContainerdStatus[] = [];
    let malformed = 0;
    for (const raw of res.statuses.slice(0, maxIngests)) {
      const parsed = statusSchema.safeParse(raw);
      if (parsed.success) statuses.push(parsed.data);
      else malformed++;
    }
    return { statuses, malformed, truncated: Math.max(0, res.statuses.length - maxIngests) };
  }

  /** The committed blob, or null when containerd has no such digest (NOT_FOUND). */
  async info(digest: string): Promise<BlobInfo | null> {
    try {
      return (await this.unary('content', 'Info', { digest }, infoResponseSchema, 'Info answer')).info;
    } catch (err) {
      if (grpcCode(err) === grpc.status.NOT_FOUND) return null;
      throw err;
    }
  }

  /** Reads a whole blob, refusing blobs over maxBytes (manifests are small; anything big is not one). */
  read(digest: string, maxBytes: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const call = this.stream('content', 'Read', { digest, offset: 0, size: 0 }, { deadline: Date.now() + CALL_TIMEOUT_MS });
      call.on('data', (msg: unknown) => {
        const parsed = readResponseSchema.safeParse(msg);
        if (!parsed.success) {
          call.cancel();
          return reject(new BadAnswerError('Read answer', issueText(parsed.error)));
        }
        size += parsed.data.data.length;
        if (size > maxBytes) {
          call.cancel();
          return reject(new BadAnswerError('blob', `${digest} is larger than ${maxBytes} bytes`));
        }
        chunks.push(Buffer.from(parsed.data.data));
      });
      call.on('error', reject);
      call.on('end', () => resolve(Buffer.concat(chunks)));
    });
  }

  /** Content.List with filters, stopping (and saying so) after maxItems entries. */
  listContent(filters: string[], maxItems: number): Promise<{ items: BlobInfo[]; truncated: boolean }> {
    return new Promise((resolve, reject) => {
      const items: BlobInfo[] = [];
      let done = false;
      const call = this.stream('content', 'List', { filters }, { deadline: Date.now() + CALL_TIMEOUT_MS });
      call.on('data', (msg: unknown) => {
        const parsed = listContentResponseSchema.safeParse(msg);
        if (!parsed.success) {
          done = true;
          call.cancel();
          return reject(new BadAnswerError('List answer', issueText(parsed.error)));
        }
        items.push(...parsed.data.info);
        if (items.length >= maxItems && !done) {
          done = true;
          call.cancel();
          resolve({ items: items.slice(0, maxItems), truncated: true });
        }
      });
      call.on('error', (err) => {
        if (!done) reject(err);
      });
      call.on('end', () => {
        if (!done) resolve({ items, truncated: false });
      });
    });
  }

  async getImage(name: string): Promise<ImageRecord | null> {
    try {
      return (await this.unary('images', 'Get', { name }, imageResponseSchema, 'Images.Get answer')).image;
    } catch (err) {
      if (grpcCode(err) === grpc.status.NOT_FOUND) return null;
      throw err;
    }
  }

  /** Events.Subscribe; `onEnvelope` gets validated envelopes, `onBad` the rest. Returns the call to cancel. */
  subscribe(
    filters: string[],
    handlers: { onEnvelope: (e: Envelope) => void; onBad: (detail: string) => void; onEnd: (err: Error | null) => void },
  ): grpc.ClientReadableStream<unknown> {
    const call = this.stream('events', 'Subscribe', { filters });
    call.on('data', (msg: unknown) => {
      const parsed = envelopeSchema.safeParse(msg);
      if (parsed.success) handlers.onEnvelope(parsed.data);
      else handlers.onBad(parsed.error.issues[0]?.message ?? 'invalid envelope');
    });
    let ended = false;
    const end = (err: Error | null): void => {
      if (ended) return;
      ended = true;
      handlers.onEnd(err);
    };
    call.on('error', (err) => end(err));
    call.on('end', () => end(null));
    return call;
  }

  close(): void {
    for (const c of Object.values(this.clients)) c.close();
    this.channel.close();
  }
}
