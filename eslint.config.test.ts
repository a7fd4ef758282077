// The folder rules of docs/ARCHITECTURE.md are enforced by ESLint; these cases prove each rule
// fires on a wrong import and stays quiet on the allowed one.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: import.meta.dirname });

async function restricted(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    ['electron/core/kube/x.ts', "import { app } from 'electron';", /must run under plain Node/],
    ['electron/core/app/x.ts', "import '../../main/index.ts';", /must not depend on electron\/main/],
    ['electron/core/engine/x.ts', "import { readFile } from 'node:fs/promises';", /engine does no I\/O/],
    ['electron/core/engine/x.ts', "import { KubeConfig } from '@kubernetes/client-node';", /engine does no I\/O/],
    ['electron/core/engine/x.ts', "import '../history/store.ts';", /engine sits left/],
    ['renderer/src/x.ts', "import '../../electron/core/engine/types.ts';", /only through electron\/core\/bridge\/contract/],
    ['renderer/src/x.ts', "import { ipcRenderer } from 'electron';", /never touches Electron/],
    ['renderer/src/x.ts', "import { readFileSync } from 'node:fs';", /sandboxed browser/],
    ['electron/preload/x.ts', "import '../core/app/index.ts';", /only the bridge contract/],
    ['agent/src/x.ts', "import '../../electron/core/engine/types.ts';", /shares nothing with the desktop/],
  ])('%s: %s is refused', async (file, source, message) => {
    const messages = await restricted(file, source);
    expect(messages.some((m) => message.test(m)), messages.join(' | ')).toBe(true);
  });

  it.each([
    ['renderer/src/x.ts', "import type { BridgeMessage } from '../../electron/core/bridge/contract.ts';"],
    ['electron/preload/x.ts', "import type { BridgeMessage } from '../core/bridge/contract.ts';"],
    ['electron/main/x.ts', "import { app } from 'electron';"],
    ['electron/core/history/x.ts', "import { open } from 'node:fs/promises';"],
    ['electron/core/engine/x.ts', "import type { EngineInput } from './types.ts';"],
  ])('%s: %s is allowed', async (file, source) => {
    expect(await restricted(file, source)).toEqual([]);
  });
});
