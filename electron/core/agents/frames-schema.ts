// zod schemas for the frames of proto/agent.proto as @grpc/proto-loader decodes them with
// AGENT_LOADER_OPTIONS (camelCase, int64 as numbers, `body` naming the oneof member). Everything
// an agent sends is checked here before the desktop uses it.
import { z } from 'zod';

const ms = z.number().finite().nonnegative();
const bytes = z.number().finite().nonnegative();
const digest = z.string().regex(/^[a-z0-9]+:[a-f0-9]{32,128}$/, 'a digest like sha256:<hex>');

export const platformSchema = z.object({ os: z.string(), architecture: z.string(), variant: z.string() });

export const ingestSchema = z.object({
  ref: z.string().min(1).max(1024),
  kind: z.enum(['layer', 'manifest', 'index', 'config', 'unknown']),
  digest,
  offset: bytes,
  total: bytes,
  startedAtMs: ms,
  updatedAtMs: ms,
});

export const blobSchema = z.object({ digest, size: bytes, mediaType: z.string(), present: z.boolean() });

export const manifestSchema = z.object({
  digest,
  mediaType: z.string(),
  sources: z.array(z.string()),
  platform: platformSchema.nullish(),
  config: blobSchema.nullish(),
  layers: z.array(blobSchema),
});

export const indexSchema = z.object({
  digest,
  mediaType: z.string(),
  sources: z.array(z.string()),
  manifests: z.array(z.object({ digest, size: bytes, platform: platformSchema.nullish() })),
});

export const helloSchema = z.object({
  protocolMajor: z.number().int().nonnegative(),
  protocolMinor: z.number().int().nonnegative(),
  node: z.string(),
  agentVersion: z.string(),
  containerdVersion: z.string(),
  containerdRevision: z.string(),
  namespace: z.string(),
  socket: z.string(),
  pollActiveMs: z.number(),
  pollIdleMs: z.number(),
  heartbeatMs: z.number(),
});

export const healthSchema = z.object({
  containerdUp: z.boolean(),
  error: z.string(),
  reason: z.string(),
  sinceMs: ms,
  attempts: z.number().int().nonnegative(),
  containerdVersion: z.string(),
});

const head = { seq: z.number().int().positive(), atMs: ms };

export const frameSchema = z.discriminatedUnion('body', [
  z.object({ ...head, body: z.literal('hello'), hello: helloSchema }),
  z.object({
    ...head,
    body: z.literal('snapshot'),
    snapshot: z.object({
      resync: z.boolean(),
      containerdUp: z.boolean(),
      ingests: z.array(ingestSchema),
      manifests: z.array(manifestSchema),
      indexes: z.array(indexSchema),
    }),
  }),
  z.object({ ...head, body: z.literal('ingests'), ingests: z.object({ ingests: z.array(ingestSchema) }) }),
  z.object({
    ...head,
    body: z.literal('ingestGone'),
    ingestGone: z.object({ ref: z.string().min(1), digest, outcome: z.enum(['committed', 'aborted', 'unknown']), lastOffset: bytes }),
  }),
  z.object({ ...head, body: z.literal('manifest'), manifest: manifestSchema }),
  z.object({ ...head, body: z.literal('index'), index: indexSchema }),
  z.object({ ...head, body: z.literal('image'), image: z.object({ name: z.string().min(1), targetDigest: z.string(), created: z.boolean() }) }),
  z.object({ ...head, body: z.literal('contentDeleted'), contentDeleted: z.object({ digest }) }),
  z.object({
    ...head,
    body: z.literal('heartbeat'),
    heartbeat: z.object({ liveIngests: z.number().int().nonnegative(), containerdUp: z.boolean(), coalescedFrames: z.number().int().nonnegative() }),
  }),
  z.object({ ...head, body: z.literal('health'), health: healthSchema }),
]);

export type AgentFrame = z.output<typeof frameSchema>;
export type AgentHello = z.output<typeof helloSchema>;
export type AgentHealth = z.output<typeof healthSchema>;
export type FrameIngest = z.output<typeof ingestSchema>;
