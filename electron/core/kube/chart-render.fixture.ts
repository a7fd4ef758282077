// Test-only: renders charts/pulltrace-agent's templates without `helm` (not obtainable here: not in
// Debian 12, not on npm), by a small interpreter of exactly the Go-template subset that chart.ts
// emits; anything else throws, so an unknown construct cannot pass silently. Used by chart.test.ts
// (equality with the app's objects) and the install lab test (kubectl apply --dry-run=server).
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

interface Scope {
  Values: Record<string, unknown>;
  Release: { Namespace: string; Service: string };
  Chart: { AppVersion: string };
  files: Record<string, string>;
  defines: Record<string, string>;
}

function lookup(dot: unknown, scope: Scope, ref: string): unknown {
  if (ref === '.') return dot;
  const [root, ...rest] = ref.slice(1).split('.');
  let value: unknown = root === 'Values' ? scope.Values : root === 'Release' ? scope.Release : root === 'Chart' ? scope.Chart : undefined;
  if (value === undefined) throw new Error(`unsupported reference ${ref}`);
  for (const key of rest) value = (value as Record<string, unknown>)[key];
  return value;
}

function evaluate(expr: string, dot: unknown, scope: Scope): unknown {
  const [head = '', ...pipes] = expr.split('|').map((p) => p.trim());
  let value: unknown;
  let m: RegExpExecArray | null;
  if ((m = /^include "([^"]+)" \.$/.exec(head))) value = render(scope.defines[m[1]!] ?? '', dot, scope).trim();
  else if ((m = /^\.Files\.Get "([^"]+)"$/.exec(head))) value = scope.files[m[1]!] ?? '';
  else if ((m = /^toYaml (\.\S*)$/.exec(head))) value = stringify(lookup(dot, scope, m[1]!)).trimEnd();
  // sprig's dir and base are Go's path.Dir and path.Base: POSIX dirname and basename for these paths
  else if ((m = /^(dir|base) (\.\S*)$/.exec(head))) value = (m[1] === 'dir' ? path.posix.dirname : path.posix.basename)(String(lookup(dot, scope, m[2]!)));
  else if (/^\.[\w.]*$/.test(head)) value = lookup(dot, scope, head);
  else throw new Error(`unsupported expression {{ ${expr} }}`);
  for (const pipe of pipes) {
    if (pipe === 'quote') value = JSON.stringify(String(value));
    else if (pipe === 'sha256sum') value = createHash('sha256').update(String(value)).digest('hex');
    else if ((m = /^trunc (\d+)$/.exec(pipe))) value = String(value).slice(0, Number(m[1]));
    else if ((m = /^indent (\d+)$/.exec(pipe))) value = String(value).split('\n').map((l) => ' '.repeat(Number(m![1])) + l).join('\n');
    else throw new Error(`unsupported function ${pipe}`);
  }
  return value;
}

const truthy = (v: unknown) => Boolean(v) && !(typeof v === 'object' && Object.keys(v as object).length === 0);

/** Go text/template subset: actions with `-` trimming, if/with/end blocks, define (collected first). */
function render(template: string, dot: unknown, scope: Scope): string {
  const tokens = template.split(/(\{\{-?\s*[\s\S]*?\s*-?\}\})/);
  let out = '';
  const stack: { emit: boolean; dot: unknown }[] = [{ emit: true, dot }];
  for (let i = 0; i < tokens.length; i++) {
    let token = tokens[i]!;
    if (!token.startsWith('{{')) {
      if (stack.every((f) => f.emit)) out += token;
      continue;
    }
    if (token.startsWith('{{-')) out = stack.every((f) => f.emit) ? out.replace(/\s+$/, '') : out;
    if (token.endsWith('-}}') && i + 1 < tokens.length) tokens[i + 1] = tokens[i + 1]!.replace(/^\s+/, '');
    token = token.replace(/^\{\{-?\s*/, '').replace(/\s*-?\}\}$/, '');
    const frame = stack.at(-1)!;
    if (token.startsWith('/*')) continue;
    let m: RegExpExecArray | null;
    if ((m = /^(if|with) (.+)$/.exec(token))) {
      const value = frame.emit ? evaluate(m[2]!, frame.dot, scope) : undefined;
      stack.push({ emit: frame.emit && truthy(value), dot: m[1] === 'with' ? value : frame.dot });
    } else if (token === 'end') {
      stack.pop();
    } else if (stack.every((f) => f.emit)) {
      out += String(evaluate(token, frame.dot, scope));
    }
  }
  return out;
}

export function renderChart(files: Record<string, string>, values: Record<string, unknown>, bundle: string, version: string, namespace = 'pulltrace'): unknown[] {
  const defines: Record<string, string> = {};
  for (const [, body] of Object.entries(files).filter(([f]) => f.endsWith('.tpl'))) {
    for (const m of body.matchAll(/\{\{- define "([^"]+)" -\}\}([\s\S]*?)\{\{- end -\}\}/g)) defines[m[1]!] = m[2]!;
  }
  const scope: Scope = { Values: values, Release: { Namespace: namespace, Service: 'Helm' }, Chart: { AppVersion: version }, files: { 'files/pulltrace-agent.cjs': bundle }, defines };
  return Object.entries(files)
    .filter(([f]) => f.startsWith('templates/') && f.endsWith('.yaml'))
    .sort(([a], [b]) => ['serviceaccount', 'configmap', 'daemonset'].findIndex((k) => a.includes(k)) - ['serviceaccount', 'configmap', 'daemonset'].findIndex((k) => b.includes(k)))
    .flatMap(([, text]) => parseAllDocuments(render(text, undefined, scope)).map((d) => d.toJS()))
    .filter((o) => o !== null);
}
