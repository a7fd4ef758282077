// Loads the agent's protos from the repository's proto/ folder into one protobufjs Root: grpc-js
// gets its service definitions from it and the event decoder its message types. scripts/build-agent.ts
// replaces this module in the single-file bundle with one that embeds the same Root as JSON, so the
// pod needs no proto files on disk.
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PROTO_FILES = [
  'agent.proto',
  'grpc/health/v1/health.proto',
  'containerd/content.proto',
  'containerd/images.proto',
  'containerd/events.proto',
  'containerd/image-events.proto',
  'containerd/content-events.proto',
  'containerd/version.proto',
];

export function loadProtoRoot(protoDir = fileURLToPath(new URL('../../proto/', import.meta.url))): protobuf.Root {
  const root = new protobuf.Root();
  // camelCase field names everywhere (proto-loader's keepCase=false, which protos.ts mirrors); imports are relative to proto/ (e.g. "containerd/types.proto"); google/protobuf/* are built in
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(protoDir, target));
  root.loadSync(PROTO_FILES, { keepCase: false }).resolveAll();
  return root;
}
