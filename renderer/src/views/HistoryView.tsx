// Finished pulls with search and CSV export (the core's history store answers both).
import { useCallback, useEffect, useState } from 'react';
import type { FinishedPull } from '../../../electron/core/bridge/contract.ts';
import { useCore } from '../store/context.tsx';
import { formatBytes, formatDuration, formatRate } from '../lib/format.ts';
import { StateBadge } from './bits.tsx';
import { Empty, ErrorLine, Loading } from './States.tsx';

type HistoryState = '' | 'done' | 'cached' | 'failed' | 'abandoned';

export function HistoryView() {
  const { bridge, transport } = useCore();
  const [text, setText] = useState('');
  const [state, setState] = useState<HistoryState>('');
  const [rows, setRows] = useState<FinishedPull[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const query = useCallback(() => ({ text: text || undefined, state: state || undefined, limit: 1000 }), [text, state]);

  const refresh = useCallback(async () => {
    const result = await bridge.invoke({ type: 'history.query', query: query() });
    if (result.ok) {
      setRows(result.value.rows);
      setError(undefined);
    } else setError(result.error.message);
  }, [bridge, query]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const exportCsv = async (): Promise<void> => {
    setNotice(undefined);
    const result = await bridge.invoke({ type: 'history.export', query: { ...query(), limit: 10_000 }, destination: transport === 'ipc' ? 'dialog' : 'inline' });
    if (!result.ok) {
      if (result.error.code !== 'cancelled') setError(result.error.message);
      return;
    }
    const { csv, filename, savedTo, rows: count } = result.value;
    if (csv !== undefined) download(filename, csv);
    setNotice(`Exported ${count} row${count === 1 ? '' : 's'}${savedTo ? ` to ${savedTo}` : ` as ${filename}`}`);
  };

  return (
    <section className="history" aria-label="History">
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void refresh();
        }}
      >
        <input type="search" placeholder="Search image, node, pod" value={text} onChange={(e) => setText(e.target.value)} aria-label="Search history" />
        <select aria-label="Outcome" value={state} onChange={(e) => setState(e.target.value as HistoryState)}>
          <option value="">All outcomes</option>
          <option value="done">done</option>
          <option value="cached">cached</option>
          <option value="failed">failed</option>
          <option value="abandoned">abandoned</option>
        </select>
        <button type="submit">Refresh</button>
        <button type="button" className="primary" onClick={() => void exportCsv()}>
          Export CSV
        </button>
        {notice ? <span className="notice" role="status">{notice}</span> : null}
      </form>
      <ErrorLine message={error} />
      {rows === undefined ? (
        <Loading label="Loading history…" />
      ) : rows.length === 0 ? (
        <Empty title="No finished pulls yet">Pulls land here when they finish, fail or are abandoned.</Empty>
      ) : (
        <div className="scroll">
          <table className="history-table">
            <thead>
              <tr>
                <th>Finished</th>
                <th>Cluster</th>
                <th>Node</th>
                <th>Image</th>
                <th>Outcome</th>
                <th>Duration</th>
                <th>Downloaded</th>
                <th>Avg rate</th>
                <th>Pods</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.cluster}/${r.id}`}>
                  <td>{new Date(r.finishedAt).toLocaleString(undefined, { hour12: false })}</td>
                  <td>{r.cluster}</td>
                  <td>{r.node}</td>
                  <td title={r.error ? `${r.error.reason}: ${r.error.message}` : r.image}>{r.image}</td>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td className="num">{formatDuration(r.startedAt !== undefined ? (r.finishedAt - (r.queuedAt ?? r.startedAt)) / 1000 : undefined)}</td>
                  <td className="num">{formatBytes(r.bytesDownloaded)}</td>
                  <td className="num">{formatRate(r.avgRate)}</td>
                  <td className="num">{r.pods.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function download(filename: string, csv: string): void {
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
