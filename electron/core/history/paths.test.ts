import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir, historyDir } from './paths.ts';

describe('history directory', () => {
  it('follows each platform’s per-user data directory', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u')).toBe('/xdg/pulltrace');
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.local/share/pulltrace');
    // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    expect(defaultDataDir({ XDG_DATA_HOME: 'rel' }, 'linux', '/home/u')).toBe('/home/u/.local/share/pulltrace');
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/pulltrace');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe(join('C:\\Users\\u\\AppData\\Roaming', 'pulltrace'));
  });

  it('takes the flag, then $PULLTRACE_HISTORY_DIR, then <data dir>/history', () => {
    expect(historyDir({ flag: '/f', env: { PULLTRACE_HISTORY_DIR: '/e' } })).toBe('/f');
    expect(historyDir({ env: { PULLTRACE_HISTORY_DIR: '/e' }, dataDir: '/d' })).toBe('/e');
    expect(historyDir({ env: {}, dataDir: '/electron/userData' })).toBe('/electron/userData/history');
  });
});
