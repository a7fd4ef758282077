// Where pulls are happening: one card per node, busiest first, with its agent status. The core sends
// the busiest nodes already sorted (a 2,000-node cluster does not become 2,000 cards).
import { useCoreState } from '../store/context.tsx';
import { useUi } from '../store/ui.ts';
import { formatRate } from '../lib/format.ts';
import { Empty, Loading } from './States.tsx';

export function NodesView() {
  const nodes = useCoreState((s) => s.nodes);
  const clusters = useCoreState((s) => s.clusters);
  const { setFilter, show } = useUi();
  if (nodes === undefined) return <Loading label="Loading nodes…" />;
  if (nodes.busiest.length === 0) return <Empty title="No nodes yet">Nodes appear when their agent connects or kubelet reports a pull.</Empty>;
  return (
    <section className="nodes" aria-label="Nodes">
      {nodes.total > nodes.busiest.length ? (
        <p className="nodes-more muted">
          The {nodes.busiest.length} busiest of {nodes.total} nodes; filter the pulls table by node for the others.
        </p>
      ) : null}
      {nodes.busiest.map((n) => (
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
