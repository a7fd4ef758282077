// Turns pull state changes into user notifications: a pull that enters failed, stalled or done
// (once per entry into that state). Remembers only the last state of live pulls.
import type { PullState, PullView } from '../engine/types.ts';
import type { NotificationKind, PullNotification, Settings } from '../bridge/contract.ts';

const kindOf: Partial<Record<PullState, NotificationKind>> = { failed: 'failed', stalled: 'stalled', done: 'finished' };

export class PullNotifier {
  #lastState = new Map<string, PullState>();
  #sequence = 0;

  /** Notifications for the upserts of one drain, filtered by the user's settings. */
  observe(cluster: string, upserts: readonly PullView[], removals: readonly string[], settings: Settings['notifications']): PullNotification[] {
    const out: PullNotification[] = [];
    for (const id of removals) this.#lastState.delete(`${cluster}\u0000${id}`);
    for (const pull of upserts) {
      const key = `${cluster}\u0000${pull.id}`;
      const previous = this.#lastState.get(key);
      this.#lastState.set(key, pull.state);
      const kind = kindOf[pull.state];
      if (kind === undefined || previous === pull.state || !settings[kind]) continue;
      out.push({
        id: `n${++this.#sequence}`,
        kind,
        cluster,
        pullId: pull.id,
        image: pull.image,
        node: pull.node,
        message: describe(kind, pull),
        at: pull.updatedAt,
      });
    }
    return out;
  }

  forgetCluster(cluster: string): void {
    const prefix = `${cluster}\u0000`;
    for (const key of this.#lastState.keys()) if (key.startsWith(prefix)) this.#lastState.delete(key);
  }
}

function describe(kind: NotificationKind, pull: PullView): string {
  switch (kind) {
    case 'failed':
      return `${pull.image} failed on ${pull.node}: ${pull.error ? `${pull.error.reason} — ${pull.error.message}` : 'no reason given'}`;
    case 'stalled':
      return `${pull.image} stalled on ${pull.node} at ${Math.round((100 * pull.bytes.done) / Math.max(1, pull.bytes.total))}%`;
    case 'finished':
      return `${pull.image} pulled on ${pull.node}`;
  }
}
