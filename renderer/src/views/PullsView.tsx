// Live pulls: filter bar, sortable header, virtualized rows. The core's session does the sorting and
// filtering over every pull and sends only the rows in view (plus overscan): the virtualizer's range
// becomes the window the renderer asks for (ui.ts `range` → `view.set`). Rows not loaded yet (a fast
// scroll) are drawn as empty placeholders until their data arrives (≤ 100 ms).
// j/k or arrows move, Enter opens, / searches.
import { memo, useEffect, useRef, type KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { PullFilter, PullRow, PullSortKey } from '../../../electron/core/bridge/contract.ts';
import { useCoreState } from '../store/context.tsx';
import { useUi } from '../store/ui.ts';
import { formatBytes, formatDuration, formatRate } from '../lib/format.ts';
import { Progress, StateBadge } from './bits.tsx';
import { Empty } from './States.tsx';

const ROW_HEIGHT = 34;
/** Rows requested beyond the visible ones on each side, and the step the request moves by (so a
 * scroll of a few pixels does not produce a new request). */
const WINDOW_OVERSCAN = 20;
const WINDOW_STEP = 10;
const columns: ReadonlyArray<{ key: PullSortKey; label: string; className: string }> = [
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
  const table = useCoreState((s) => s.table);
  const counts = useCoreState((s) => s.counts);
  const facets = useCoreState((s) => s.facets);
  const clusterCount = useCoreState((s) => s.clusters.size);
  const { filter, sort, query, selected, setFilter, sortBy, select, open, setRange, searchFocusPending, searchFocused, show } = useUi();
  const scrollRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  // No flushSync on scroll: React renders the new rows in its own task, not inside the scroll event.
  const virtualizer = useVirtualizer({ count: table.matching, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 8, useFlushSync: false });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  const lastIndex = items.at(-1)?.index ?? 0;

  useEffect(() => {
    const offset = Math.floor(Math.max(0, firstIndex - WINDOW_OVERSCAN) / WINDOW_STEP) * WINDOW_STEP;
    const limit = Math.ceil((lastIndex + WINDOW_OVERSCAN + 1 - offset) / WINDOW_STEP) * WINDOW_STEP;
    setRange({ offset, limit });
  }, [firstIndex, lastIndex, setRange]);

  // A new query starts at its first row.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [filter, sort]);

  useEffect(() => {
    if (!searchFocusPending) return;
    searchRef.current?.focus();
    searchFocused();
  }, [searchFocusPending, searchFocused]);

  const keyAt = (index: number): string | undefined => table.keys[index - table.offset];
  const selectedIndex = selected === undefined ? -1 : table.keys.indexOf(selected);
  const move = (delta: number): void => {
    const current = selectedIndex < 0 ? firstIndex - 1 : table.offset + selectedIndex;
    const next = Math.max(0, Math.min(table.matching - 1, current + delta));
    const key = keyAt(next);
    if (key) select(key);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'j' || event.key === 'ArrowDown') move(1);
    else if (event.key === 'k' || event.key === 'ArrowUp') move(-1);
    else if (event.key === 'Enter' && selected) open(selected);
    else return;
    event.preventDefault();
  };

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
  const failed = counts.byState.failed ?? 0;
  const stalled = counts.byState.stalled ?? 0;

  return (
    <section className="pulls" aria-label="Live pulls">
      <div className="filters">
        <input ref={searchRef} type="search" placeholder="Search image, node, pod… ( / )" value={filter.search} onChange={(e) => setFilter({ search: e.target.value })} aria-label="Search pulls" />
        <Picker label="Cluster" field="cluster" value={filter.cluster} values={facets.clusters} setFilter={setFilter} />
        <Picker label="Namespace" field="namespace" value={filter.namespace} values={facets.namespaces} setFilter={setFilter} />
        <Picker label="Node" field="node" value={filter.node} values={facets.nodes} setFilter={setFilter} />
        <Picker label="Image" field="image" value={filter.image} values={facets.images} setFilter={setFilter} />
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
        <span className="summary" title={`${counts.failures} pull${counts.failures === 1 ? '' : 's'} failed since this window connected`}>
          {table.matching} of {counts.total} pulls
          {failed > 0 ? <span className="pill pill-failed">{failed} failed</span> : null}
          {stalled > 0 ? <span className="pill pill-stalled">{stalled} stalled</span> : null}
        </span>
      </div>
      <div className="table" role="grid" aria-rowcount={table.matching} aria-busy={table.query !== query} tabIndex={0} onKeyDown={onKeyDown} aria-label="Pulls table">
        <div className="thead" role="row">
          {columns.map((c) => (
            <button key={c.key} role="columnheader" className={`th ${c.className}`} onClick={() => sortBy(c.key)} aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
              {c.label}
              {sort.key === c.key ? (sort.descending ? ' ▾' : ' ▴') : ''}
            </button>
          ))}
        </div>
        <div className="tbody" ref={scrollRef}>
          {table.matching === 0 ? (
            <Empty title={counts.total === 0 ? 'No pulls right now' : 'No pull matches the filter'}>
              <p>{counts.total === 0 ? 'Pulls appear here as soon as a node starts fetching an image.' : 'Clear the search or pick another filter.'}</p>
            </Empty>
          ) : (
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {items.map((item) => {
                const key = keyAt(item.index);
                const row = key === undefined ? undefined : table.rows.get(key);
                return row && key ? (
                  <Row key={key} rowKey={key} row={row} showCluster={clusterCount > 1} index={item.index} top={item.start} selected={key === selected} onSelect={select} onOpen={open} />
                ) : (
                  <div key={`placeholder-${item.index}`} className="tr placeholder" aria-hidden="true" style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }} />
                );
              })}
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

interface PickerProps {
  label: string;
  field: 'cluster' | 'namespace' | 'node' | 'image';
  value: string;
  values: string[];
  setFilter: (patch: Partial<PullFilter>) => void;
}

// Memoised with stable props: a 2,000-node picker must not be re-rendered by every counter update.
const Picker = memo(function Picker({ label, field, value, values, setFilter }: PickerProps) {
  return (
    <select aria-label={label} value={value} onChange={(e) => setFilter({ [field]: e.target.value })}>
      <option value="">All {label.toLowerCase()}s</option>
      {values.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </select>
  );
});

interface RowProps {
  rowKey: string;
  row: PullRow;
  /** With several clusters open the node name alone is ambiguous. */
  showCluster: boolean;
  index: number;
  top: number;
  selected: boolean;
  onSelect: (k: string) => void;
  onOpen: (k: string) => void;
}

const Row = memo(function Row({ rowKey, row, showCluster, index, top, selected, onSelect, onOpen }: RowProps) {
  const problem = row.state === 'failed' || row.state === 'stalled';
  const progress = progressOf(row);
  const bytes = `${formatBytes(row.done)} / ${row.totalKnown ? formatBytes(row.total) : '?'}`;
  return (
    <div
      role="row"
      aria-rowindex={index + 1}
      aria-selected={selected}
      data-state={row.state}
      className={`tr${selected ? ' selected' : ''}${problem ? ` problem problem-${row.state}` : ''}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onClick={() => onSelect(rowKey)}
      onDoubleClick={() => onOpen(rowKey)}
    >
      <span className="td c-node" title={`${row.node} in ${row.cluster}`}>
        {row.node}
        {showCluster ? <span className="cluster-tag"> · {row.cluster}</span> : null}
      </span>
      <span className="td c-image" title={row.image}>
        <button className="link" onClick={() => onOpen(rowKey)}>{row.image}</button>
      </span>
      <span className="td c-state">
        <StateBadge state={row.state} />
      </span>
      <span className="td c-progress" title={row.error ? `${row.error.reason}: ${row.error.message}` : `${Math.round(progress * 100)}% · ${bytes}`}>
        {row.state === 'failed' ? (
          <span className="error-reason">{row.error?.reason ?? 'failed'}</span>
        ) : (
          <>
            <Progress value={progress} state={row.state} label={`${row.image} progress`} />
            <span className="num bytes">{bytes}</span>
          </>
        )}
      </span>
      <span className="td c-rate num">{formatRate(row.rate)}</span>
      <span className="td c-eta num">{formatDuration(row.etaSeconds)}</span>
      <span className="td c-pods num" title={row.firstPod ? `${row.firstPod}${row.pods > 1 ? ` and ${row.pods - 1} more` : ''}` : 'no pod waiting'}>
        {row.pods}
      </span>
    </div>
  );
});

function progressOf(row: PullRow): number {
  return row.total > 0 ? row.done / row.total : row.state === 'done' || row.state === 'cached' ? 1 : 0;
}
