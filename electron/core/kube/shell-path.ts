// The PATH exec credential plugins (aws, gke-gcloud-auth-plugin, kubelogin, …) are searched on.
// An app started from a desktop launcher (Dock, .desktop file) gets the session's minimal PATH,
// not the one the user's shell profile builds, so plugins that work in a terminal are "not found"
// (lensapp/lens #878, #5676). Like Headlamp we ask the user's login shell once, printing `env -0`
// between markers (rc files may print banners), with a timeout and a fallback.
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ResolvedPath {
  /** PATH to search: the login shell's entries first, then the process's own, then fallbacks. */
  value: string;
  source: 'login-shell' | 'process';
  /** Why the login shell could not be asked (timeout, no shell, …), when it could not. */
  problem?: string;
}

const marker = '__PULLTRACE_ENV_7f3a__';

/** Directories where package managers put CLIs, searched last if the shell could not be asked. */
function fallbackDirs(home: string): string[] {
  return ['/usr/local/bin', '/opt/homebrew/bin', '/usr/bin', '/bin', '/snap/bin', path.join(home, '.local/bin'), path.join(home, 'bin'), path.join(home, 'go/bin')];
}

export async function resolveLoginShellPath(options: { shell?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ResolvedPath> {
  const env = options.env ?? process.env;
  const processPath = env.PATH ?? '';
  const merged = (...parts: string[]): string => joinUnique(parts.flatMap((p) => p.split(path.delimiter)));
  const fallback = (problem: string): ResolvedPath => ({ value: merged(processPath, fallbackDirs(os.homedir()).join(path.delimiter)), source: 'process', problem });
  if (process.platform === 'win32') return { value: processPath, source: 'process' };
  const shell = options.shell ?? env.SHELL ?? '/bin/sh';
  try {
    const output = await runShell(shell, options.timeoutMs ?? 10_000, env);
    const loginPath = pathFromEnvDump(output);
    if (loginPath === undefined) return fallback(`the login shell ${shell} printed no PATH`);
    return { value: merged(loginPath, processPath), source: 'login-shell' };
  } catch (error) {
    return fallback(`could not ask the login shell ${shell}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function runShell(shell: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string> {
  const script = `printf '%s' '${marker}'; env -0; printf '%s' '${marker}'`;
  // -i as well as -l: zsh reads .zshrc (where most PATH edits live) only when interactive.
  const args = /(^|\/)(t?csh)$/.test(shell) ? ['-l', '-c', script] : ['-l', '-i', '-c', script];
  return new Promise((resolve, reject) => {
    execFile(shell, args, {
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 4 * 1024 * 1024,
      // Oh-my-zsh's updater would prompt; shell integrations print escape sequences.
      env: { ...env, DISABLE_AUTO_UPDATE: 'true', ITERM_SHELL_INTEGRATION_INSTALLED: 'Yes', VSCODE_SHELL_INTEGRATION: '' },
    }, (error, stdout) => {
      if (!error) resolve(stdout);
      else if (error.killed) reject(new Error(`timed out after ${timeoutMs} ms`));
      else reject(new Error(typeof error.code === 'number' ? `exited with code ${error.code}` : error.message.split('\n')[0]));
    });
  });
}

/** PATH from `MARKER env -0 MARKER` output, ignoring whatever rc files printed around it. */
export function pathFromEnvDump(output: string): string | undefined {
  const start = output.indexOf(marker);
  const end = output.lastIndexOf(marker);
  if (start < 0 || end <= start) return undefined;
  const entries = output.slice(start + marker.length, end).split('\0');
  const entry = entries.find((e) => e.startsWith('PATH='));
  return entry?.slice('PATH='.length);
}

function joinUnique(dirs: string[]): string {
  return [...new Set(dirs.filter((d) => d.length > 0))].join(path.delimiter);
}

/** Absolute path of `command`: as given when it contains a separator, else the first match on `searchPath`. */
export function findExecutable(command: string, searchPath: string): string | undefined {
  if (command.includes('/') || command.includes('\\')) return isExecutableFile(command) ? command : undefined;
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = path.join(dir, command + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function isReadableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
