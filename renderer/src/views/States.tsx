// Designed empty, loading and error states (one look for all views).
import type { ReactNode } from 'react';

export function Loading({ label }: { label: string }) {
  return (
    <div className="state state-loading" role="status">
      <div className="spinner" aria-hidden="true" />
      <p>{label}</p>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function Fatal({ title, detail }: { title: string; detail: string }) {
  return (
    <div className="state state-error" role="alert">
      <h2>{title}</h2>
      <p>{detail}</p>
    </div>
  );
}

export function ErrorLine({ message }: { message: string | undefined }) {
  return message ? (
    <p className="error-line" role="alert">
      {message}
    </p>
  ) : null;
}
