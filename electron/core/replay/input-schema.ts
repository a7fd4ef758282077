// zod schemas for EngineInput, checked against the hand-written interfaces in engine/types.ts
// (each schema is typed as z.ZodType<Interface>, so the compiler rejects any drift). They validate
// inputs that cross a boundary as data — recordings on disk — not the engine's hot path, which
// does its own cheap clamping.
import { z } from 'zod';
import type {
  AgentInput,
  BlobDescriptor,
  EngineInput,
  IngestStatus,
  KubeInput,
  Platform,
  PodRef,
  Tick,
} from '../engine/types.ts';

const time = z.number().finite().nonnegative();
const bytes = z.number().finite().nonnegative();
const name = z.string().min(1).max(1024);
const digest = z.string().regex(/^[a-z0-9]+:[a-f0-9]{32,128}$/, 'a digest like sha256:<hex>');

const platform: z.ZodType<Platform> = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
});

const ingest: z.ZodType<IngestStatus> = z.object({
  ref: name,
  kind: z.enum(['layer', 'manifest', 'index', 'config', 'unknown']),
  digest,
  offset: bytes,
  total: bytes,
  startedAt: time,
  updatedAt: time,
});

const blob: z.ZodType<BlobDescriptor> = z.object({
  digest,
  size: bytes,
  mediaType: z.string(),
  present: z.boolean(),
});

const onNode = { at: time, node: name };

const agentInput: z.ZodType<AgentInput> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('agent.connected'), ...onNode, agentVersion: z.string(), containerdVersion: z.string() }),
  z.object({ type: z.literal('agent.disconnected'), ...onNode, reason: z.string() }),
  z.object({ type: z.literal('agent.snapshot'), ...onNode, ingests: z.array(ingest) }),
  z.object({ type: z.literal('ingests.observed'), ...onNode, ingests: z.array(ingest) }),
  z.object({
    type: z.literal('ingest.gone'),
    ...onNode,
    ref: name,
    digest,
    outcome: z.enum(['committed', 'aborted', 'unknown']),
  }),
  z.object({
    type: z.literal('manifest.seen'),
    ...onNode,
    digest,
    mediaType: z.string(),
    sources: z.array(z.string()),
    platform: platform.optional(),
    config: blob.optional(),
    layers: z.array(blob),
  }),
  z.object({
    type: z.literal('index.seen'),
    ...onNode,
    digest,
    mediaType: z.string(),
    sources: z.array(z.string()),
    manifests: z.array(z.object({ digest, size: bytes, platform: platform.optional() })),
  }),
  z.object({ type: z.literal('image.upserted'), ...onNode, name, targetDigest: digest.optional() }),
  z.object({ type: z.literal('content.deleted'), ...onNode, digest }),
]);

const podRef: z.ZodType<PodRef> = z.object({ namespace: name, name, uid: z.string() });
const workload = z.object({ kind: z.string(), name: z.string() });

const kubeInput: z.ZodType<KubeInput> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('kube.event'),
    at: time,
    uid: z.string(),
    count: z.number().int().nonnegative(),
    node: name,
    reason: z.enum(['Pulling', 'Pulled', 'Failed', 'BackOff', 'ErrImageNeverPull', 'InspectFailed']),
    message: z.string().max(32_768),
    pod: podRef,
    container: z.string().optional(),
  }),
  z.object({
    type: z.literal('kube.pod'),
    at: time,
    pod: podRef,
    node: name.optional(),
    workload: workload.optional(),
    deleted: z.boolean(),
    containers: z.array(
      z.object({
        name: z.string(),
        image: z.string(),
        waitingReason: z.string().optional(),
        waitingMessage: z.string().optional(),
        started: z.boolean(),
        imageID: z.string().optional(),
      }),
    ),
  }),
  z.object({ type: z.literal('kube.node.removed'), at: time, node: name }),
]);

const tick: z.ZodType<Tick> = z.object({ type: z.literal('tick'), at: time });

export const engineInputSchema: z.ZodType<EngineInput> = z.union([agentInput, kubeInput, tick]);
