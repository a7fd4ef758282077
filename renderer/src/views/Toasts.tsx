// In-window notifications (failed / stalled / finished pulls); each can open its pull.
import { useEffect } from 'react';
import { useCore, useCoreState } from '../store/context.tsx';
import { pullKey } from '../store/store.ts';
import { useUi } from '../store/ui.ts';

const visibleMs = 8_000;

export function Toasts() {
  const notifications = useCoreState((s) => s.notifications);
  const { store } = useCore();
  const open = useUi((s) => s.open);
  const latest = notifications.slice(-4);
  // Keyed on the oldest visible id: re-renders must not restart its timer.
  const oldestId = latest[0]?.id;

  useEffect(() => {
    if (oldestId === undefined) return;
    const timer = setTimeout(() => store.getState().dismissNotification(oldestId), visibleMs);
    return () => clearTimeout(timer);
  }, [oldestId, store]);

  return (
    <div className="toasts" aria-live="polite">
      {latest.map((n) => (
        <div key={n.id} className={`toast toast-${n.kind}`}>
          <button className="toast-body" onClick={() => open(pullKey(n.cluster, n.pullId))}>
            <strong>{n.kind === 'failed' ? 'Pull failed' : n.kind === 'stalled' ? 'Pull stalled' : 'Pull finished'}</strong>
            <span>{n.message}</span>
          </button>
          <button className="toast-close" aria-label="Dismiss" onClick={() => store.getState().dismissNotification(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
