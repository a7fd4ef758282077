// Where history lives by default, so the app and the CLI find the same files without flags:
// $PULLTRACE_HISTORY_DIR, else <per-user data dir>/pulltrace/history, where the data dir is
// $XDG_DATA_HOME or ~/.local/share on Linux, ~/Library/Application Support on macOS, %APPDATA% on Windows.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HISTORY_DIR_ENV = 'PULLTRACE_HISTORY_DIR';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'pulltrace');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'pulltrace');
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  return join(xdg !== undefined && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), 'pulltrace');
}

/** The history directory under a data dir (the app passes app.getPath('userData') as `dataDir`). */
export function historyDir(options: { flag?: string; dataDir?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  return options.flag ?? env[HISTORY_DIR_ENV] ?? join(options.dataDir ?? defaultDataDir(env), 'history');
}
