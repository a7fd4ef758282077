// The aggregation engine: a pure, deterministic function of its inputs. One engine per cluster.
//
//   const engine = createEngine(defaultEngineConfig('prod'));
//   engine.apply(input);          // every EngineInput (types.ts), in arrival order; never throws
//   const delta = engine.drain(); // what changed since the last drain: pull upserts and removals,
//                                 // finished-pull records (exactly once per pull attempt), new
//                                 // throughput points, changed nodes — for the bridge and history.
//                                 // State changes go out at once; a pull whose bytes/rate alone
//                                 // moved at most once per config.progressIntervalMs (default 250 ms to 1 s with the active pull count).
//                                 // Views are immutable: unchanged parts are shared between drains.
//                                 // Pull views carry no layers: engine.pull(id) has them.
//   engine.pulls(); engine.nodes(); engine.series(); // full state, e.g. for a new UI client
//   engine.pull(id);              // one pull with its layers (the open pull's detail)
//   engine.warnings();            // counted rejections/clamps of bad input, by kind
//   engine.stats();               // sizes of retained structures (memory-bound checks)
//
// No I/O, no clock, no timers, no randomness: time comes only from inputs' `at` (a `tick` input
// moves it with no data, for stall detection and rate decay). Replaying the same inputs gives the
// same outputs. The model, the attribution joins, the rate method and the state machine are
// described in docs/engine.md.
export { createEngine, defaultEngineConfig, type Engine, type EngineStats } from './engine.ts';
export type * from './types.ts';
