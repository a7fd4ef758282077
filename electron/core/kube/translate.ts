// Kubernetes objects (from the API server, as JSON or as client-node's deserialized classes) →
// the engine's KubeInputs. Pure: the observation time is an argument, owner lookups are done by
// the caller. Objects are validated with zod on the few fields we read; an object that does not
// fit is dropped (and counted by the caller), never half-translated.
import { z } from 'zod';
import type { ContainerStatusObserved, KubeletEvent, KubeletPullReason, PodObserved, PodRef, WorkloadRef } from '../engine/types.ts';

/** client-node's typed list calls give Date objects, raw watch JSON gives RFC 3339 strings. */
const timestamp = z.union([z.date(), z.string()]).nullish().transform((value) => {
  if (value === null || value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
});

const eventSchema = z.object({
  metadata: z.object({ uid: z.string().min(1), creationTimestamp: timestamp }),
  involvedObject: z.object({ kind: z.string().optional(), name: z.string().min(1), namespace: z.string().min(1), uid: z.string().optional(), fieldPath: z.string().optional() }),
  reason: z.string().optional(),
  message: z.string().optional(),
  count: z.number().int().nullish(),
  source: z.object({ component: z.string().optional(), host: z.string().optional() }).nullish(),
  reportingComponent: z.string().nullish(),
  reportingInstance: z.string().nullish(),
  firstTimestamp: timestamp,
  lastTimestamp: timestamp,
  eventTime: timestamp,
  series: z.object({ count: z.number().int().optional(), lastObservedTime: timestamp }).nullish(),
});

const pullReasons: readonly KubeletPullReason[] = ['Pulling', 'Pulled', 'Failed', 'BackOff', 'ErrImageNeverPull', 'InspectFailed'];

/** `Failed` and `BackOff` are also used for containers that fail to START; only pull failures
 * belong to a pull (kubelet's image_manager.go and kuberuntime messages). */
const pullFailure = /^(Failed to pull image|Failed to inspect image|Failed to apply default image tag|Error: (ErrImagePull|ImagePullBackOff|ErrImageNeverPull|ImageInspectError|InvalidImageName|RegistryUnavailable|SignatureValidationFailed))/;
const pullBackOff = /^Back-off pulling image/;

export type EventVerdict = { input: KubeletEvent } | { skipped: 'invalid' | 'not-kubelet' | 'not-a-pull' };

/** The field selector that lets the API server drop everything else before it reaches us. */
export const kubeletPodEventsSelector = 'involvedObject.kind=Pod,source=kubelet';

export function translateEvent(raw: unknown, observedAt: number): EventVerdict {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) return { skipped: 'invalid' };
  const e = parsed.data;
  const component = e.source?.component || e.reportingComponent;
  if (component !== 'kubelet' || (e.involvedObject.kind !== undefined && e.involvedObject.kind !== 'Pod')) return { skipped: 'not-kubelet' };
  const reason = pullReasons.find((r) => r === e.reason);
  const message = e.message ?? '';
  if (!reason) return { skipped: 'not-a-pull' };
  if (reason === 'Failed' && !pullFailure.test(message)) return { skipped: 'not-a-pull' };
  if (reason === 'BackOff' && !pullBackOff.test(message)) return { skipped: 'not-a-pull' };
  const container = /^spec\.(?:initContainers|containers|ephemeralContainers)\{(.+)\}$/.exec(e.involvedObject.fieldPath ?? '')?.[1];
  const input: KubeletEvent = {
    type: 'kube.event',
    // When the kubelet said it (aggregated repeats move lastTimestamp), else when we saw it.
    at: e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? observedAt,
    uid: e.metadata.uid,
    count: e.series?.count ?? e.count ?? 1,
    node: e.source?.host || e.reportingInstance || '',
    reason,
    message,
    pod: { namespace: e.involvedObject.namespace, name: e.involvedObject.name, uid: e.involvedObject.uid ?? '' },
  };
  if (container !== undefined) input.container = container;
  return { input };
}

const ownerReferenceSchema = z.object({ kind: z.string(), name: z.string(), controller: z.boolean().nullish(), uid: z.string().optional() });

const containerStateSchema = z.object({
  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).nullish(),
  running: z.object({}).passthrough().nullish(),
  terminated: z.object({}).passthrough().nullish(),
}).nullish();

const containerStatusSchema = z.object({
  name: z.string(),
  image: z.string(),
  imageID: z.string().optional(),
  state: containerStateSchema,
  lastState: containerStateSchema,
});

const podSchema = z.object({
  metadata: z.object({
    uid: z.string().min(1),
    name: z.string().min(1),
    namespace: z.string().min(1),
    labels: z.record(z.string(), z.string()).nullish(),
    ownerReferences: z.array(ownerReferenceSchema).nullish(),
  }),
  spec: z.object({
    nodeName: z.string().nullish(),
    containers: z.array(z.object({ name: z.string(), image: z.string().optional() })).nullish(),
    initContainers: z.array(z.object({ name: z.string(), image: z.string().optional() })).nullish(),
  }).nullish(),
  status: z.object({
    containerStatuses: z.array(containerStatusSchema).nullish(),
    initContainerStatuses: z.array(containerStatusSchema).nullish(),
  }).nullish(),
});

export type PodObject = z.infer<typeof podSchema>;
export type OwnerReference = z.infer<typeof ownerReferenceSchema>;

export function parsePod(raw: unknown): PodObject | undefined {
  const parsed = podSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

export function podRefOf(pod: PodObject): PodRef {
  return { namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

export function controllerOf(owners: readonly OwnerReference[] | null | undefined): OwnerReference | undefined {
  return owners?.find((o) => o.controller === true) ?? undefined;
}

/**
 * The workload as far as the pod alone tells: a ReplicaSet made by a Deployment is named
 * `<deployment>-<pod-template-hash>` and its pods carry that hash label, so no API call is needed.
 * A Job may belong to a CronJob — only the Job's own owner says so: `needsJobLookup` asks the
 * caller to fetch it.
 */
export function workloadFromPod(pod: PodObject): { workload?: WorkloadRef; needsJobLookup?: string } {
  const owner = controllerOf(pod.metadata.ownerReferences);
  if (!owner) return {};
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return { workload: { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) } };
  }
  if (owner.kind === 'Job') return { workload: { kind: 'Job', name: owner.name }, needsJobLookup: owner.name };
  return { workload: { kind: owner.kind, name: owner.name } };
}

export function translatePod(pod: PodObject, observedAt: number, workload: WorkloadRef | undefined, deleted: boolean): PodObserved {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const specContainers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  // Before the kubelet reports, only the spec names the images.
  const containers = specContainers.map((c): ContainerStatusObserved => {
    const status = byName.get(c.name);
    if (!status) return { name: c.name, image: c.image ?? '', started: false };
    const observed: ContainerStatusObserved = {
      name: c.name,
      image: c.image ?? status.image,
      started: Boolean(status.state?.running || status.state?.terminated || status.lastState?.terminated || status.lastState?.running),
    };
    if (status.state?.waiting?.reason) observed.waitingReason = status.state.waiting.reason;
    if (status.state?.waiting?.message) observed.waitingMessage = status.state.waiting.message;
    if (status.imageID) observed.imageID = status.imageID;
    return observed;
  });
  const input: PodObserved = { type: 'kube.pod', at: observedAt, pod: podRefOf(pod), deleted, containers };
  if (pod.spec?.nodeName) input.node = pod.spec.nodeName;
  if (workload) input.workload = workload;
  return input;
}
