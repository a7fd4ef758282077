// Live pulls: filter bar, sortable header, virtualized rows (only the visible ~30 rows are in the
// DOM whatever the number of pulls). j/k or arrows move, Enter opens, / searches.
import { useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCoreState } from '../store/context.tsx';
import { useUi } from '../store/ui.ts';
import { filterOptions, selectRows, type PullRow, type SortKey } from '../lib/pull-table.ts';
import { formatBytes, formatDuration, formatRate } from '../lib/format.ts';
import { Progress, StateBadge } from './bits.tsx';
import { Empty } from './States.tsx';

const ROW_HEIGHT = 34;
const columns: ReadonlyArray<{ key: SortKey; label: string; className: string }> = [
  { key: 'node', label: 'Node', className: 'c-node' },
  { key: 'image', label: 'Image', className: 'c-image' },
  { key: 'state', label: 'State', className: 'c-state' },
  { key: 'progress', label: 'Progress', className: 'c-progress' },
  { key: 'rate', label: 'Rate', className: 'c-rate' },
  { key: 'eta', label: 'ETA', className: 'c-eta' },
  { key: 'pods', label: 'Pods', className: 'c-pods' },
];
const states = ['', 'active', 'problems', 'queued', 'waiting', 'resolving', 'downloading', 'stalled', 'unpacking', 'done', 'cached', 'failed', 'unknown'] as const;

export function PullsView() {
  const pulls = useCoreState((s) => s.pulls);
  const clusterCount = useCoreState((s) => s.clusters.size);
  const { filter, sort, selected, setFilter, sortBy, select, open, searchFocusPending, searchFocused, show } = useUi();
  const rows = useMemo(() => selectRows(pulls, filter, sort), [pulls, filter, sort]);
  // Picker values change rarely; recomputing them on every delta of 10 k pulls is not worth it.
  const optionsKey = pulls.size;
  const options = useMemo(() => filterOptions(pulls), [optionsKey]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });

  useEffect(() => {
    if (!searchFocusPending) return;
    searchRef.current?.focus();
    searchFocused();
  }, [searchFocusPending, searchFocused]);

  const selectedIndex = selected === undefined ? -1 : rows.findIndex((r) => r.key === selected);
  const move = (delta: number): void => {
    const next = Math.max(0, Math.min(rows.length - 1, (selectedIndex < 0 ? -1 : selectedIndex) + delta));
    const row = rows[next];
    if (row) {
      select(row.key);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    }
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'j' || event.key === 'ArrowDown') move(1);
    else if (event.key === 'k' || event.key === 'ArrowUp') move(-1);
    else if (event.key === 'Enter' && selected) open(selected);
    else return;
    event.preventDefault();
  };

  const counts = useMemo(() => {
    let stalled = 0;
    let failed = 0;
    for (const r of rows) {
      if (r.pull.state === 'stalled') stalled++;
      else if (r.pull.state === 'failed') failed++;
    }
    return { stalled, failed };
  }, [rows]);

  if (clusterCount === 0) {
    return (
      <Empty title="No cluster open">
        <p>Connect a kubeconfig context or start the replay demo.</p>
        <button className="primary" onClick={() => show('clusters')}>
          Go to clusters
        </button>
      </Empty>
    );
  }

  return (
    <section className="pulls" aria-label="Live pulls">
      <div className="filters">
        <input ref={searchRef} type="search" placeholder="Search image, node, pod… ( / )" value={filter.search} onChange={(e) => setFilter({ search: e.target.value })} aria-label="Search pulls" />
        <Picker label="Cluster" value={filter.cluster} values={options.clusters} onChange={(cluster) => setFilter({ cluster })} />
        <Picker label="Namespace" value={filter.namespace} values={options.namespaces} onChange={(namespace) => setFilter({ namespace })} />
        <Picker label="Node" value={filter.node} values={options.nodes} onChange={(node) => setFilter({ node })} />
        <Picker label="Image" value={filter.image} values={options.images} onChange={(image) => setFilter({ image })} />
        <label>
          <span className="sr-only">State</span>
          <select aria-label="State" value={filter.state} onChange={(e) => setFilter({ state: e.target.value as (typeof states)[number] })}>
            {states.map((s) => (
              <option key={s} value={s}>
                {s === '' ? 'All states' : s === 'problems' ? 'stalled + failed' : s}
              </option>
            ))}
          </select>
        </label>
        <span className="summary">
          {rows.length} of {pulls.size} pulls
          {counts.failed > 0 ? <span className="pill pill-failed">{counts.failed} failed</span> : null}
          {counts.stalled > 0 ? <span className="pill pill-stalled">{counts.stalled} stalled</span> : null}
        </span>
      </div>
      <div className="table" role="grid" aria-rowcount={rows.length} tabIndex={0} onKeyDown={onKeyDown} aria-label="Pulls table">
        <div className="thead" role="row">
          {columns.map((c) => (
            <button key={c.key} role="columnheader" className={`th ${c.className}`} onClick={() => sortBy(c.key)} aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
              {c.label}
              {sort.key === c.key ? (sort.descending ? ' ▾' : ' ▴') : ''}
            </button>
          ))}
        </div>
        <div className="tbody" ref={scrollRef}>
          {rows.length === 0 ? (
            <Empty title={pulls.size === 0 ? 'No pulls right now' : 'No pull matches the filter'}>
              <p>{pulls.size === 0 ? 'Pulls appear here as soon as a node starts fetching an image.' : 'Clear the search or pick another filter.'}</p>
            </Empty>
          ) : (
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((item) => {
                const row = rows[item.index];
                return row ? <Row key={row.key} row={row} top={item.start} selected={row.key === selected} onSelect={select} onOpen={open} /> : null;
              })}
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

function Picker({ label, value, values, onChange }: { label: string; value: string; values: string[]; onChange: (v: string) => void }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">All {label.toLowerCase()}s</option>
      {values.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </select>
  );
}

function Row({ row, top, selected, onSelect, onOpen }: { row: PullRow; top: number; selected: boolean; onSelect: (k: string) => void; onOpen: (k: string) => void }) {
  const { pull } = row;
  const problem = pull.state === 'failed' || pull.state === 'stalled';
  return (
    <div
      role="row"
      aria-selected={selected}
      data-state={pull.state}
      className={`tr${selected ? ' selected' : ''}${problem ? ` problem problem-${pull.state}` : ''}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onClick={() => onSelect(row.key)}
      onDoubleClick={() => onOpen(row.key)}
    >
      <span className="td c-node" title={pull.cluster}>{pull.node}</span>
      <span className="td c-image" title={pull.image}>
        <button className="link" onClick={() => onOpen(row.key)}>{pull.image}</button>
      </span>
      <span className="td c-state">
        <StateBadge state={pull.state} />
      </span>
      <span className="td c-progress" title={pull.error ? `${pull.error.reason}: ${pull.error.message}` : `${formatBytes(pull.bytes.done)} of ${pull.bytes.totalKnown ? formatBytes(pull.bytes.total) : '?'}`}>
        {pull.state === 'failed' ? (
          <span className="error-reason">{pull.error?.reason ?? 'failed'}</span>
        ) : (
          <>
            <Progress value={row.progress} state={pull.state} label={`${pull.image} progress`} />
            <span className="num">{Math.round(row.progress * 100)}%</span>
          </>
        )}
      </span>
      <span className="td c-rate num">{formatRate(pull.rate)}</span>
      <span className="td c-eta num">{formatDuration(pull.etaSeconds)}</span>
      <span className="td c-pods num" title={pull.pods.map((p) => `${p.pod.namespace}/${p.pod.name}`).join('\n')}>
        {pull.pods.length}
      </span>
    </div>
  );
}
