// The gRPC view of the protos (same options on every client and server of the agent).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type protobuf from 'protobufjs';
import { loadProtoRoot } from './proto-definitions.ts';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export interface Protos {
  root: protobuf.Root;
  grpc: grpc.GrpcObject;
  /** PROTOCOL_MAJOR of proto/agent.proto's ProtocolVersion enum: the one place the major is written. */
  protocolMajor: number;
}

export function loadProtos(): Protos {
  const root = loadProtoRoot();
  const definition = protoLoader.fromJSON(root.toJSON(), LOADER_OPTIONS);
  const protocolMajor = root.lookupEnum('pulltrace.agent.v1.ProtocolVersion').values.PROTOCOL_MAJOR;
  if (protocolMajor === undefined) throw new Error('proto/agent.proto lacks ProtocolVersion.PROTOCOL_MAJOR');
  return { root, grpc: grpc.loadPackageDefinition(definition), protocolMajor };
}

/** Walks a dotted name through the loaded package, e.g. `containerd.services.content.v1.Content`. */
export function lookupService(pkg: grpc.GrpcObject, name: string): grpc.ServiceClientConstructor {
  let node: unknown = pkg;
  for (const part of name.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node !== 'function' || !('service' in node)) throw new Error(`service ${name} missing from the protos`);
  return node as grpc.ServiceClientConstructor;
}
