// Bundles the agent into ONE self-contained CommonJS file, out/agent/pulltrace-agent.cjs, that runs with
// plain `node` on a stock Node 24 image (no npm install, no proto files: they are embedded as a
// protobufjs JSON root), and writes its sha256 beside it (pulltrace-agent.cjs.sha256, `sha256sum`
// format) for the content-hashed ConfigMap install. Usage: node scripts/build-agent.ts [--outdir DIR]
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { PROTO_FILES, loadProtoRoot } from '../agent/src/proto-definitions.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** Replaces the file-reading proto loader with one that carries the same Root as JSON. */
function embedProtos(): Plugin {
  const json = JSON.stringify(loadProtoRoot().toJSON());
  return {
    name: 'embed-protos',
    setup(b) {
      b.onLoad({ filter: /agent[\\/]src[\\/]proto-definitions\.ts$/ }, () => ({
        loader: 'ts',
        contents: [
          `import protobuf from 'protobufjs/light.js';`,
          `export const PROTO_FILES = ${JSON.stringify(PROTO_FILES)};`,
          `const EMBEDDED = ${json};`,
          `export function loadProtoRoot(): protobuf.Root { return protobuf.Root.fromJSON(EMBEDDED).resolveAll() as protobuf.Root; }`,
        ].join('\n'),
      }));
    },
  };
}

/** An ES module `import … from 'node:http'` makes Node build a namespace of ALL of http's exports,
 * and Node 24's lazy `WebSocket`/`MessageEvent` getters on it load undici and web streams: +14 MiB
 * RSS for an agent that only calls createServer (measured: `import 'node:http'` 58 MiB,
 * `require('http')` 44 MiB). A `require()` reads only what it names, so every built-in the agent's
 * own ES modules import is turned into one. The module is handed over as an object whose prototype
 * it is: esbuild's ESM interop copies every OWN property of a CommonJS module's exports, and doing
 * so on `node:util` loads the modules behind its lazy exports (worker_threads, util/diff, …):
 * −0.4 MiB. Named and default imports read the same properties through the prototype. */
function builtinsViaRequire(): Plugin {
  return {
    name: 'builtins-via-require',
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) =>
        args.kind === 'import-statement' && args.path !== 'node:module' ? { path: args.path, namespace: 'builtin-require' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({ contents: `module.exports = Object.create(require(${JSON.stringify(args.path)}));`, loader: 'js' }));
    },
  };
}

/** prom-client's index also loads its cluster aggregator (which loads `cluster`, `child_process`,
 * `dgram`, `worker_threads` at once), Pushgateway (`https`, `zlib`) and Summary; the agent uses
 * none of them. This entry exports only what agent/src/metrics.ts imports, from the same files. */
function promClientCore(): Plugin {
  const parts = { Registry: 'registry', Counter: 'counter', Gauge: 'gauge', Histogram: 'histogram', collectDefaultMetrics: 'defaultMetrics' };
  return {
    name: 'prom-client-core',
    setup(b) {
      b.onResolve({ filter: /^prom-client$/ }, () => ({ path: 'prom-client', namespace: 'prom-client-core' }));
      b.onLoad({ filter: /.*/, namespace: 'prom-client-core' }, () => ({
        contents: Object.entries(parts)
          .map(([name, file]) => `exports.${name} = require('prom-client/lib/${file}');`)
          .join('\n'),
        loader: 'js',
        resolveDir: repo,
      }));
    },
  };
}

/** Replaces module `specifier`, when `importer` imports it, with `contents` (CommonJS). */
function stubModule(specifier: string, importer: RegExp, contents: string): Plugin {
  const namespace = `stub:${specifier}`;
  return {
    name: `stub-${specifier}`,
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${specifier.replace(/[/.]/g, '\\$&')}$`) }, (args) => (importer.test(args.importer) ? { path: specifier, namespace } : undefined));
      b.onLoad({ filter: /.*/, namespace }, () => ({ contents, loader: 'js' }));
    },
  };
}

/** prom-client's CPU metric loads all of @opentelemetry/api at start (−0.45 MiB RSS without it) for
 * exemplars (the trace id of the active span), which it reads only when `enableExemplars` is set;
 * the agent never sets it, so the bundle gets an empty module instead. */
const dropOpenTelemetry = (): Plugin => stubModule('@opentelemetry/api', /[\\/]prom-client[\\/]/, 'module.exports = {};');

/** zod's `z.locales` namespace drags ~400 KiB of translations into the bundle; the agent never
 * uses it (English, the default, is registered by zod's schemas module on its own). */
const dropZodLocales = (): Plugin => stubModule('../locales/index.js', /[\\/]zod[\\/]/, 'module.exports = {};');

/** grpc-js requires @grpc/proto-loader only to serve its channelz admin service and ORCA load
 * reports, neither of which the agent sets up; bundled, it brought protobufjs' .proto parser and
 * descriptor extension along (bundle 516 → 466 KiB: source V8 keeps in memory). Should grpc-js ever
 * reach it, the call fails saying so. */
const dropProtoLoader = (): Plugin =>
  stubModule(
    '@grpc/proto-loader',
    /[\\/]@grpc[\\/]grpc-js[\\/]/,
    `exports.loadSync = () => { throw new Error('the pulltrace agent bundle leaves out @grpc/proto-loader: grpc-js channelz admin service and ORCA are not available'); };`,
  );

export async function buildAgent(outdir: string): Promise<{ file: string; sha256: string; bytes: number }> {
  mkdirSync(outdir, { recursive: true });
  const file = join(outdir, 'pulltrace-agent.cjs');
  await build({
    entryPoints: [join(repo, 'agent/src/main.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    // CommonJS, not an ES module: node then never starts its ES module loader for the agent
    // (measured on the bench's peak: 59.4–59.6 MiB against 59.8–60.5 for the same code as .mjs).
    // The sources are ES modules; the one `import.meta` they read at run time is the file name.
    format: 'cjs',
    define: { 'import.meta.filename': '__filename' },
    target: 'node24',
    plugins: [embedProtos(), dropZodLocales(), dropOpenTelemetry(), dropProtoLoader(), builtinsViaRequire(), promClientCore()],
    // A ConfigMap holds at most 1 MiB: minified. Without esbuild's keepNames: its ~1,200
    // `Object.defineProperty(fn, 'name')` calls gave each function and class its own property
    // storage and hidden class (idle RSS −0.5 MiB without them; unminified identifiers instead:
    // 717 KiB of source, no better). A stack trace from a pod's log is read with the source map
    // written beside the bundle (not shipped: the bundle carries no sourceMappingURL).
    minify: true,
    sourcemap: 'external',
    legalComments: 'eof',
    logLevel: 'warning',
  });
  const content = readFileSync(file);
  const sha256 = createHash('sha256').update(content).digest('hex');
  writeFileSync(`${file}.sha256`, `${sha256}  ${basename(file)}\n`);
  return { file, sha256, bytes: content.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
  const result = await buildAgent(resolve(values.outdir ?? join(repo, 'out/agent')));
  console.log(`${result.file} ${(result.bytes / 1024).toFixed(0)} KiB sha256 ${result.sha256}`);
}
