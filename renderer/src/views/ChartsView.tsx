// Cluster throughput over time, stacked per node (top nodes + "other"), one chart per cluster, and
// the fastest pulls right now. The core sends both already reduced (bridge/chart-window.ts: top 6
// nodes + other over 300 one-second buckets), about once a second while this view is shown; the
// chart redraws only then, with animations off.
import { memo, useMemo } from 'react';
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useCoreState } from '../store/context.tsx';
import { useUi } from '../store/ui.ts';
import { OTHER_SERIES, type StackedChart } from '../../../electron/core/bridge/contract.ts';
import { formatClock, formatRate } from '../lib/format.ts';
import { Empty, Loading } from './States.tsx';
import { pullKey } from '../store/store.ts';

const palette = ['#3b82f6', '#10b981', '#f59e0b', '#8b5cf6', '#ef4444', '#06b6d4'];

export function ChartsView() {
  const charts = useCoreState((s) => s.charts);
  const clusters = useCoreState((s) => s.clusters);
  const open = useUi((s) => s.open);
  const fastest = charts?.fastest ?? [];
  const maxRate = fastest[0]?.rate ?? 1;

  if (clusters.size === 0) return <Empty title="No cluster open">Throughput charts appear once a cluster or the demo is running.</Empty>;
  if (charts === undefined) return <Loading label="Loading throughput…" />;
  return (
    <section className="charts" aria-label="Throughput">
      {[...clusters.values()].map((c) => (
        <ClusterChart key={c.id} title={c.label} data={charts.clusters.find((chart) => chart.cluster === c.id)} />
      ))}
      <h2>Fastest pulls now</h2>
      {fastest.length === 0 ? (
        <p className="muted">No bytes are moving right now.</p>
      ) : (
        <ul className="bars">
          {fastest.map((p) => (
            <li key={`${p.cluster}/${p.id}`}>
              <button className="link bar-label" onClick={() => open(pullKey(p.cluster, p.id))} title={p.image}>
                {p.image} <span className="muted">on {p.node}</span>
              </button>
              <span className="bar">
                <span className="bar-fill" style={{ width: `${(100 * p.rate) / maxRate}%` }} />
              </span>
              <span className="num">{formatRate(p.rate)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// Memoised: other deltas re-render the view; the chart only changes when the core sends a new one.
const ClusterChart = memo(function ClusterChart({ title, data }: { title: string; data: StackedChart | undefined }) {
  const stacked = useMemo(() => toRecharts(data), [data]);
  return (
    <div className="chart-card">
      <h2>{title}</h2>
      {stacked.rows.length < 2 ? (
        <p className="muted">Collecting throughput (one point per second)…</p>
      ) : (
        <ResponsiveContainer width="100%" height={260}>
          <AreaChart data={stacked.rows} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis dataKey="at" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(at: number) => formatClock(at)} minTickGap={80} stroke="var(--muted)" />
            <YAxis tickFormatter={(v: number) => formatRate(v)} width={84} stroke="var(--muted)" />
            <Tooltip labelFormatter={(at) => formatClock(Number(at))} formatter={(v) => formatRate(Number(v))} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }} />
            <Legend />
            {stacked.keys.map((key, i) => (
              <Area
                key={key}
                dataKey={key}
                stackId="nodes"
                type="linear"
                isAnimationActive={false}
                stroke={key === OTHER_SERIES ? '#9ca3af' : palette[i % palette.length]}
                fill={key === OTHER_SERIES ? '#9ca3af' : palette[i % palette.length]}
                fillOpacity={0.35}
                dot={false}
              />
            ))}
          </AreaChart>
        </ResponsiveContainer>
      )}
    </div>
  );
});

/** recharts wants one object per point: `{at, <node>: value, …}`. */
function toRecharts(chart: StackedChart | undefined): { keys: string[]; rows: Array<Record<string, number>> } {
  if (chart === undefined) return { keys: [], rows: [] };
  const rows = chart.rows.map(([at = 0, ...values]) => {
    const row: Record<string, number> = { at };
    chart.keys.forEach((key, i) => (row[key] = values[i] ?? 0));
    return row;
  });
  return { keys: chart.keys, rows };
}
