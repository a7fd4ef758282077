// Bundles the agent into ONE self-contained ES module, out/agent/pulltrace-agent.mjs, that runs with
// plain `node` on a stock Node 24 image (no npm install, no proto files: they are embedded as a
// protobufjs JSON root), and writes its sha256 beside it (pulltrace-agent.mjs.sha256, `sha256sum`
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

/** zod's `z.locales` namespace drags ~400 KiB of translations into the bundle; the agent never
 * uses it (English, the default, is registered by zod's schemas module on its own). */
function dropZodLocales(): Plugin {
  return {
    name: 'drop-zod-locales',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'empty' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
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

/** prom-client's CPU metric loads all of @opentelemetry/api at start (−0.45 MiB RSS without it) for
 * exemplars (the trace id of the active span), which it reads only when `enableExemplars` is set;
 * the agent never sets it, so the bundle gets an empty module instead. */
function dropOpenTelemetry(): Plugin {
  return {
    name: 'drop-opentelemetry',
    setup(b) {
      b.onResolve({ filter: /^@opentelemetry\/api$/ }, (args) =>
        /[\\/]prom-client[\\/]/.test(args.importer) ? { path: '@opentelemetry/api', namespace: 'no-opentelemetry' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'no-opentelemetry' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    },
  };
}

export async function buildAgent(outdir: string): Promise<{ file: string; sha256: string; bytes: number }> {
  mkdirSync(outdir, { recursive: true });
  const file = join(outdir, 'pulltrace-agent.mjs');
  await build({
    entryPoints: [join(repo, 'agent/src/main.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    plugins: [embedProtos(), dropZodLocales(), dropOpenTelemetry(), builtinsViaRequire(), promClientCore()],
    // CommonJS dependencies (grpc-js, protobufjs) call require(): give the ES module one
    banner: { js: "import { createRequire as __pulltraceCreateRequire } from 'node:module'; const require = __pulltraceCreateRequire(import.meta.url);" },
    // a ConfigMap holds at most 1 MiB: minify (keeping names, so stack traces in pod logs stay readable)
    minify: true,
    keepNames: true,
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
