import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { LOADER_OPTIONS, loadProtos, lookupService } from './protos.ts';

// The agent makes its grpc-js service definitions itself; they must behave exactly as the ones
// @grpc/proto-loader makes from the same Root with the same options (what the desktop uses).
const protos = loadProtos();
const reference = grpc.loadPackageDefinition(protoLoader.fromJSON(protos.root.toJSON(), { keepCase: false, ...LOADER_OPTIONS }));

function referenceService(name: string): grpc.ServiceDefinition {
  let node: unknown = reference;
  for (const part of name.split('.')) node = (node as Record<string, unknown>)[part];
  return (node as grpc.ServiceClientConstructor).service;
}

const SERVICES = [
  'pulltrace.agent.v1.Agent',
  'grpc.health.v1.Health',
  'containerd.services.content.v1.Content',
  'containerd.services.images.v1.Images',
  'containerd.services.events.v1.Events',
  'containerd.services.version.v1.Version',
];

describe('lookupService', () => {
  it.each(SERVICES)('%s: same methods, paths, streaming and names as proto-loader', (name) => {
    const mine = lookupService(protos.root, name).service;
    const theirs = referenceService(name);
    const shape = (def: grpc.ServiceDefinition) =>
      Object.fromEntries(Object.entries(def).map(([k, m]) => [k, { path: m.path, requestStream: m.requestStream, responseStream: m.responseStream, originalName: m.originalName }]));
    expect(shape(mine)).toEqual(shape(theirs));
  });

  it('encodes and decodes as proto-loader: camelCase, int64 as numbers, enums as names, defaults, oneof member named', () => {
    const mine = lookupService(protos.root, 'pulltrace.agent.v1.Agent').service.Watch!;
    const theirs = referenceService('pulltrace.agent.v1.Agent').Watch!;
    const frames = [
      { seq: 7, atMs: 1_795_000_000_123, ingests: { ingests: [{ ref: 'layer-sha256:ab', kind: 'layer', digest: 'sha256:ab', offset: 5_000_000_000, total: 6_000_000_000 }] } },
      { seq: 1, atMs: 1, hello: { protocolMajor: 1, node: 'n' } },
      { seq: 2, atMs: 2, health: { containerdUp: false, reason: 'unavailable', error: 'x' } },
      { seq: 3, atMs: 3 },
    ];
    for (const frame of frames) {
      const bytes = mine.responseSerialize(frame);
      expect(bytes).toEqual(theirs.responseSerialize(frame));
      expect(mine.responseDeserialize(bytes)).toEqual(theirs.responseDeserialize(bytes));
    }
    const content = lookupService(protos.root, 'containerd.services.content.v1.Content').service.ListStatuses!;
    const listing = referenceService('containerd.services.content.v1.Content').ListStatuses!;
    const answer = { statuses: [{ ref: 'r', offset: 3, total: 9, startedAt: { seconds: 1_795_000_000, nanos: 5 } }] };
    const bytes = listing.responseSerialize(answer);
    expect(content.responseDeserialize(bytes)).toEqual(listing.responseDeserialize(bytes));
    const check = lookupService(protos.root, 'grpc.health.v1.Health').service.Check!;
    const referenceCheck = referenceService('grpc.health.v1.Health').Check!;
    const serving = check.responseSerialize({ status: 'SERVING' });
    expect(serving).toEqual(referenceCheck.responseSerialize({ status: 'SERVING' }));
    expect(check.responseDeserialize(serving)).toEqual({ status: 'SERVING' });
    expect(() => mine.responseSerialize([] as never)).toThrow(/got array instead/);
  });

  it('names a service that is not in the protos', () => {
    expect(() => lookupService(protos.root, 'pulltrace.agent.v1.Nope')).toThrow('service pulltrace.agent.v1.Nope missing from the protos');
  });
});
