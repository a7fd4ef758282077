import type { PullView } from '../../electron/core/engine/types.ts';
export type X = PullView;
