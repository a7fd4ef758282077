// The first list of kubelet events when a cluster connects holds up to an hour of the past (the
// API server's event TTL). Replayed as if live, every pull that ended in that hour would end again
// — recorded twice in history after an app restart, and attached to whichever pod waits on the
// same image now. Only what is still under way matters: per pod container, the Pulling events
// after its last outcome (Pulled, Failed, BackOff, …). Pods still failing are caught from their
// status (ErrImagePull / ImagePullBackOff); later events arrive live.
import type { KubeletEvent } from '../engine/types.ts';

export function eventsStillUnderWay(backlog: readonly KubeletEvent[]): KubeletEvent[] {
  const lastOutcome = new Map<string, number>();
  const order = backlog.map((event, index) => ({ event, index })).sort((a, b) => a.event.at - b.event.at || a.index - b.index);
  order.forEach(({ event }, position) => {
    if (event.reason !== 'Pulling') lastOutcome.set(containerKey(event), position);
  });
  return order.filter(({ event }, position) => event.reason === 'Pulling' && position > (lastOutcome.get(containerKey(event)) ?? -1)).map(({ event }) => event);
}

const containerKey = (event: KubeletEvent): string => `${event.pod.uid}\0${event.container ?? ''}`;
