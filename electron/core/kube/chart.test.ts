// The committed chart is what the generator produces, and its default values render exactly the
// app's manifests. `helm` is not obtainable here (not in Debian 12, not on npm), so the templates
// are rendered by a small interpreter of the Go-template subset the generator emits; it throws on
// anything else, so a template construct it does not know cannot pass silently.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { chartFiles, projectVersion } from './chart.ts';
import { buildAgentManifests, defaultInstallOptions } from './manifests.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const chartDir = path.join(repo, 'charts/pulltrace-agent');

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

function renderChart(files: Record<string, string>, values: Record<string, unknown>, bundle: string, version: string): unknown[] {
  const defines: Record<string, string> = {};
  for (const [, body] of Object.entries(files).filter(([f]) => f.endsWith('.tpl'))) {
    for (const m of body.matchAll(/\{\{- define "([^"]+)" -\}\}([\s\S]*?)\{\{- end -\}\}/g)) defines[m[1]!] = m[2]!;
  }
  const scope: Scope = { Values: values, Release: { Namespace: 'pulltrace', Service: 'Helm' }, Chart: { AppVersion: version }, files: { 'files/pulltrace-agent.mjs': bundle }, defines };
  return Object.entries(files)
    .filter(([f]) => f.startsWith('templates/') && f.endsWith('.yaml'))
    .sort(([a], [b]) => ['serviceaccount', 'configmap', 'daemonset'].findIndex((k) => a.includes(k)) - ['serviceaccount', 'configmap', 'daemonset'].findIndex((k) => b.includes(k)))
    .flatMap(([, text]) => parseAllDocuments(render(text, undefined, scope)).map((d) => d.toJS()));
}

describe('charts/pulltrace-agent', () => {
  const version = projectVersion(repo);
  const generated = chartFiles(version);

  it('is up to date with the manifest builder (run: node electron/core/kube/chart.ts)', () => {
    for (const [file, text] of Object.entries(generated)) {
      expect(readFileSync(path.join(chartDir, file), 'utf8'), file).toBe(text);
    }
  });

  it('default values render the same objects the app applies (namespace from the release, managed-by Helm)', () => {
    const bundle = 'console.log("agent");\n// "quotes" and \\ backslashes survive\n';
    const values = parse(generated['values.yaml']!) as Record<string, unknown>;
    const rendered = renderChart(generated, values, bundle, version);
    const app = buildAgentManifests({ ...defaultInstallOptions(version), createNamespace: false, managedBy: 'Helm' }, { content: bundle });
    expect(rendered).toEqual(app.objects);
  });

  it('values change what they should: preset socket, node selector, scrape annotations, image', () => {
    const values = { ...(parse(generated['values.yaml']!) as Record<string, unknown>), socketPath: '/run/k3s/containerd/containerd.sock', nodeSelector: { pool: 'gpu', zone: 'a' }, metrics: { scrapeAnnotations: true }, image: 'registry.local/node:24' };
    const rendered = renderChart(generated, values, 'x', version);
    const app = buildAgentManifests({ ...defaultInstallOptions(version), createNamespace: false, managedBy: 'Helm', socket: 'k3s', nodeSelector: { pool: 'gpu', zone: 'a' }, scrapeAnnotations: true, image: 'registry.local/node:24' }, { content: 'x' });
    expect(rendered).toEqual(app.objects);
  });
});
