// Where pulls are happening: one card per node, busiest first, with its agent status.
import { useMemo } from 'react';
import { useCoreState } from '../store/context.tsx';
import { useUi } from '../store/ui.ts';
import { formatRate } from '../lib/format.ts';
import { Empty } from './States.tsx';

export function NodesView() {
  const nodes = useCoreState((s) => s.nodes);
  const clusters = useCoreState((s) => s.clusters);
  const { setFilter, show } = useUi();
  const list = useMemo(
    () => [...nodes].flatMap(([cluster, byName]) => [...byName.values()].map((n) => ({ cluster, ...n }))).sort((a, b) => b.rate - a.rate || b.activePulls - a.activePulls || a.name.localeCompare(b.name)),
    [nodes],
  );
  if (list.length === 0) return <Empty title="No nodes yet">Nodes appear when their agent connects or kubelet reports a pull.</Empty>;
  return (
    <section className="nodes" aria-label="Nodes">
      {list.map((n) => (
        <button
          key={`${n.cluster}/${n.name}`}
          className={`node-card${n.activePulls > 0 ? ' busy' : ''}`}
          onClick={() => {
            setFilter({ cluster: n.cluster, node: n.name });
            show('pulls');
          }}
        >
          <span className="node-name">{n.name}</span>
          <span className="muted">{clusters.get(n.cluster)?.label ?? n.cluster}</span>
          <span className="node-rate">{formatRate(n.rate)}</span>
          <span>{n.activePulls} active pull{n.activePulls === 1 ? '' : 's'}</span>
          <span className={`agent agent-${n.agent}`}>
            agent {n.agent}
            {n.containerdVersion ? ` · containerd ${n.containerdVersion}` : ''}
          </span>
        </button>
      ))}
    </section>
  );
}
