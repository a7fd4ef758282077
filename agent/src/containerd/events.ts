// Decodes the event payloads the agent acts on (Envelope.event is a google.protobuf.Any whose
// type_url is the bare message name). Anything else is ignored; a payload that does not decode is
// reported as bad input.
import type protobuf from 'protobufjs';
import * as z from '../zod.ts';
import type { Envelope } from './schemas.ts';

export type ContainerdEvent =
  | { kind: 'image-create' | 'image-update' | 'image-delete'; name: string }
  | { kind: 'content-delete'; digest: string }
  | { kind: 'content-create'; digest: string; size: number };

const TYPES = {
  'containerd.services.images.v1.ImageCreate': 'image-create',
  'containerd.services.images.v1.ImageUpdate': 'image-update',
  'containerd.services.images.v1.ImageDelete': 'image-delete',
  'containerd.events.ContentDelete': 'content-delete',
  'containerd.events.ContentCreate': 'content-create',
} as const;

const named = z.object({ name: z.string().check(z.minLength(1), z.maxLength(4096)) });
const digested = z.object({ digest: z.string().check(z.minLength(1), z.maxLength(256)), size: z._default(z.number().check(z.nonnegative()), 0) });

/** Subscribe filters: this namespace, image and content topics only. */
export function eventFilters(namespace: string): string[] {
  return [`namespace==${namespace},topic~="^/(images|content)/"`];
}

export function decodeEvent(root: protobuf.Root, envelope: Envelope): ContainerdEvent | 'ignored' | { bad: string } {
  if (!envelope.event) return { bad: `${envelope.topic}: no payload` };
  const typeName = envelope.event.typeUrl.replace(/^.*\//, '');
  const kind = (TYPES as Record<string, ContainerdEvent['kind'] | undefined>)[typeName];
  if (!kind) return 'ignored';
  let decoded: unknown;
  try {
    const type = root.lookupType(typeName);
    decoded = type.toObject(type.decode(envelope.event.value), { longs: Number, defaults: true });
  } catch (err) {
    return { bad: `${typeName}: ${(err as Error).message}` };
  }
  if (kind === 'content-delete' || kind === 'content-create') {
    const parsed = digested.safeParse(decoded);
    if (!parsed.success) return { bad: `${typeName}: no digest` };
    return kind === 'content-delete' ? { kind, digest: parsed.data.digest } : { kind, digest: parsed.data.digest, size: parsed.data.size };
  }
  const parsed = named.safeParse(decoded);
  return parsed.success ? { kind, name: parsed.data.name } : { bad: `${typeName}: no name` };
}
