// A stand-in containerd for tests that need answers the real one never gives (garbage, floods):
// a gRPC server on a unix socket with containerd's service names and field numbers (proto/containerd),
// whose ListStatuses and event stream the test supplies. Everything else answers NOT_FOUND / empty.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO } from './harness.ts';

type Pkg = Record<string, unknown>;

export const TS = { seconds: 1_795_000_000, nanos: 0 };
export const hex = (i: number): string => i.toString(16).padStart(64, '0');

export interface FakeContainerd {
  socket: string;
  close(): void;
}

export async function startFakeContainerd(handlers: {
  statuses: () => unknown[];
  onSubscribe?: (call: grpc.ServerWritableStream<unknown, unknown>) => void;
}): Promise<FakeContainerd> {
  const dir = mkdtempSync(join(tmpdir(), 'pulltrace-fake-containerd-'));
  const def = protoLoader.loadSync(['containerd/content.proto', 'containerd/images.proto', 'containerd/events.proto', 'containerd/version.proto'], {
    includeDirs: [join(REPO, 'proto')],
    longs: Number,
    defaults: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as Pkg;
  const service = (path: string): grpc.ServiceDefinition => {
    let node: unknown = pkg;
    for (const p of path.split('.')) node = (node as Pkg)[p];
    return (node as grpc.ServiceClientConstructor).service;
  };
  const notFound = (_call: unknown, cb: grpc.sendUnaryData<unknown>): void => cb({ code: grpc.status.NOT_FOUND, details: 'not found' });
  const server = new grpc.Server();
  server.addService(service('containerd.services.content.v1.Content'), {
    listStatuses: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { statuses: handlers.statuses() }),
    info: notFound,
    read: (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit('error', { code: grpc.status.NOT_FOUND, details: 'not found' }),
    list: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
  });
  server.addService(service('containerd.services.images.v1.Images'), { get: notFound, list: notFound });
  server.addService(service('containerd.services.version.v1.Version'), {
    version: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { version: 'fake-9.9', revision: 'x' }),
  });
  server.addService(service('containerd.services.events.v1.Events'), {
    subscribe: (call: grpc.ServerWritableStream<unknown, unknown>) => handlers.onSubscribe?.(call),
  });
  const socket = join(dir, 'containerd.sock');
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return {
    socket,
    close() {
      server.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
