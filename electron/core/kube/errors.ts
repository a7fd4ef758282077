// Turns what client-node, undici, TLS and exec plugins throw into one human sentence and a kind
// the UI can act on. The raw errors carry stack traces, response headers and sometimes plugin
// output; none of that is shown or logged — only the fields read below.
import { z } from 'zod';

export type KubeErrorKind =
  | 'unreachable' // DNS, refused, reset, timeout
  | 'tls' // certificate not trusted, expired, wrong host name
  | 'unauthorized' // 401: token/certificate expired or revoked
  | 'forbidden' // 403
  | 'not-found'
  | 'gone' // 410: resourceVersion too old (a watch must relist)
  | 'exec-plugin' // credential plugin missing or failing
  | 'server' // 5xx
  | 'other';

export interface KubeError {
  kind: KubeErrorKind;
  message: string;
  /** HTTP status when the server answered. */
  status?: number;
}

const statusBodySchema = z.object({ message: z.string().optional(), reason: z.string().optional(), code: z.number().optional() });

const networkCodes: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_HEADERS_TIMEOUT: 'the server did not answer in time',
};

const tlsCodes: Record<string, string> = {
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed and not trusted (set certificate-authority for the cluster)",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in an untrusted CA (wrong certificate-authority?)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by the cluster's certificate-authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is not signed by the cluster's certificate-authority",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not cover this host name (tls-server-name?)",
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port (http:// vs https://?)',
  ERR_OSSL_PEM_NO_START_LINE: 'a certificate or key is not in PEM format',
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: 'the client certificate and key do not belong together',
};

/** Walks `cause` chains (undici wraps the socket error in TypeError('fetch failed')). */
function errorChain(error: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && chain.length < 5) {
    chain.push(current as Record<string, unknown>);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function statusOf(link: Record<string, unknown>): number | undefined {
  for (const key of ['code', 'statusCode']) {
    const value = link[key];
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return undefined;
}

function serverMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const parsed = statusBodySchema.safeParse(value);
  return parsed.success ? parsed.data.message : undefined;
}

export function describeKubeError(error: unknown, server?: string): KubeError {
  const where = server ? ` (${server})` : '';
  for (const link of errorChain(error)) {
    const status = statusOf(link);
    if (status !== undefined) return fromStatus(status, serverMessage(link.body));
    const code = typeof link.code === 'string' ? link.code : undefined;
    if (code && code in tlsCodes) return { kind: 'tls', message: `TLS error${where}: ${tlsCodes[code]}` };
    if (code && code in networkCodes) return { kind: 'unreachable', message: `server unreachable${where}: ${networkCodes[code]}` };
    if (code === 'ENOENT' && typeof link.syscall === 'string' && link.syscall.startsWith('spawn')) {
      const command = typeof link.path === 'string' ? link.path : link.syscall.slice('spawn '.length);
      return { kind: 'exec-plugin', message: `exec credential plugin "${command}" not found; install it or put its directory on your login shell's PATH` };
    }
    if (link.name === 'TimeoutError' || link.name === 'AbortError') return { kind: 'unreachable', message: `server unreachable${where}: no answer in time` };
  }
  const message = error instanceof Error ? error.message : String(error);
  // client-node's ExecAuth rejects with the plugin's stderr when it exits non-zero, and with a
  // SyntaxError when its stdout is not an ExecCredential.
  if (error instanceof SyntaxError) return { kind: 'exec-plugin', message: 'the exec credential plugin printed something that is not an ExecCredential' };
  return { kind: 'other', message: firstLine(message) || 'unknown error' };
}

function fromStatus(status: number, message: string | undefined): KubeError {
  const detail = message ? `: ${message}` : '';
  if (status === 401) return { kind: 'unauthorized', status, message: 'not authenticated (401): the token or client certificate was rejected — expired or revoked? Log in again (e.g. refresh your cloud CLI session)' };
  if (status === 403) return { kind: 'forbidden', status, message: `forbidden (403)${detail}` };
  if (status === 404) return { kind: 'not-found', status, message: `not found (404)${detail}` };
  if (status === 410) return { kind: 'gone', status, message: `resource version too old (410)${detail}` };
  if (status >= 500) return { kind: 'server', status, message: `server error (${status})${detail}` };
  return { kind: 'other', status, message: `request failed (${status})${detail}` };
}

/** Exec plugins write multi-line help to stderr; the first line says what went wrong. Capped so a
 * chatty plugin cannot flood the UI. */
function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim().length > 0) ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line.trim();
}
