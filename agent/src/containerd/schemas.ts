// zod schemas for what containerd answers (as decoded with LOADER_OPTIONS, protos.ts: proto-loader's shape). A
// daemon that answers something else (another API, a proxy in between, a bug) is reported as a
// bad answer and counted instead of crashing the agent.
import * as z from '../zod.ts';

const timestamp = z.pipe(
  z.nullish(z.object({ seconds: z.number(), nanos: z.number() })),
  z.transform((t) => (t ? t.seconds * 1000 + Math.floor(t.nanos / 1e6) : 0)),
);

const labels = z.record(z.string(), z.string());

export const statusSchema = z.object({
  startedAt: timestamp,
  updatedAt: timestamp,
  ref: z.string().check(z.minLength(1), z.maxLength(1024)),
  offset: z.number().check(z.nonnegative()),
  total: z.number().check(z.nonnegative()),
  expected: z.string(),
});
export type ContainerdStatus = z.output<typeof statusSchema>;

export const listStatusesSchema = z.object({ statuses: z.array(z.unknown()) });

export const infoSchema = z.object({
  digest: z.string().check(z.minLength(1)),
  size: z.number().check(z.nonnegative()),
  createdAt: timestamp,
  updatedAt: timestamp,
  labels,
});
export type BlobInfo = z.output<typeof infoSchema>;

export const infoResponseSchema = z.object({ info: infoSchema });
export const listContentResponseSchema = z.object({ info: z.array(infoSchema) });
export const readResponseSchema = z.object({ offset: z.number(), data: z.instanceof(Uint8Array) });

const descriptorSchema = z.object({ mediaType: z.string(), digest: z.string(), size: z.number() });

export const imageResponseSchema = z.object({
  image: z.object({ name: z.string(), labels, target: z.nullish(descriptorSchema) }),
});
export type ImageRecord = z.output<typeof imageResponseSchema>['image'];

export const versionSchema = z.object({ version: z.string(), revision: z.string() });
export type ContainerdVersion = z.output<typeof versionSchema>;

export const envelopeSchema = z.object({
  timestamp,
  namespace: z.string(),
  topic: z.string(),
  // protobufjs keeps google.protobuf.Any's own snake_case field name; accept either spelling
  event: z.nullish(
    z.union([
      z.object({ typeUrl: z.string(), value: z.instanceof(Uint8Array) }),
      z.pipe(
        z.object({ type_url: z.string(), value: z.instanceof(Uint8Array) }),
        z.transform((e) => ({ typeUrl: e.type_url, value: e.value })),
      ),
    ]),
  ),
});
export type Envelope = z.output<typeof envelopeSchema>;
