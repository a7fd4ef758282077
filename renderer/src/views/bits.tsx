// Small shared pieces: state badge, progress bar.
import type { PullState } from '../../../electron/core/bridge/contract.ts';

export function StateBadge({ state }: { state: PullState | string }) {
  return <span className={`badge badge-${state}`}>{state}</span>;
}

export function Progress({ value, state, label }: { value: number; state?: string; label?: string }) {
  const pct = Math.max(0, Math.min(100, value * 100));
  return (
    <div className={`progress progress-${state ?? 'normal'}`} role="progressbar" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100} aria-label={label}>
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
