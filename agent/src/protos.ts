// The gRPC view of the protos (same options on every client and server of the agent): grpc-js
// service definitions made straight from the protobufjs Root, with the serializers
// @grpc/proto-loader would make (protos.test.ts checks they encode and decode alike). proto-loader
// itself is not used at run time: besides these it builds a FileDescriptorProto set for every message
// type and loads protobufjs' descriptor.proto, neither of which the agent reads (measured on the
// bundle: idle RSS −1.4 MiB).
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { loadProtoRoot } from './proto-definitions.ts';

/** How messages are turned into plain objects, as proto-loader's options of the same names: int64 as
 * numbers, enums as names, unset fields filled with defaults, `oneofs` naming the member set. Field
 * names are camelCase (proto-loader's keepCase=false): the Root is loaded that way. */
export const LOADER_OPTIONS: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

export interface Protos {
  root: protobuf.Root;
  /** PROTOCOL_MAJOR of proto/agent.proto's ProtocolVersion enum: the one place the major is written. */
  protocolMajor: number;
}

export function loadProtos(): Protos {
  const root = loadProtoRoot();
  const protocolMajor = root.lookupEnum('pulltrace.agent.v1.ProtocolVersion').values.PROTOCOL_MAJOR;
  if (protocolMajor === undefined) throw new Error('proto/agent.proto lacks ProtocolVersion.PROTOCOL_MAJOR');
  return { root, protocolMajor };
}

function serializer(type: protobuf.Type): grpc.serialize<object> {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return type.encode(type.fromObject(value)).finish() as Buffer;
  };
}

function deserializer(type: protobuf.Type): grpc.deserialize<object> {
  return (bytes) => type.toObject(type.decode(bytes), LOADER_OPTIONS);
}

/** The client constructor (its `service` is the definition a server adds) of a service by its full
 * name, e.g. `containerd.services.content.v1.Content`. */
export function lookupService(root: protobuf.Root, name: string): grpc.ServiceClientConstructor {
  const service = root.lookup(name);
  if (!service || !('methodsArray' in service)) throw new Error(`service ${name} missing from the protos`);
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of (service as protobuf.Service).methodsArray) {
    // resolved: loadProtoRoot resolves the whole Root
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${name}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      // the name a server implementation and a client call use (proto-loader: lodash.camelcase)
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return grpc.makeClientConstructor(definition as grpc.ServiceDefinition, service.name);
}
