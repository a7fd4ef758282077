// User settings, validated with the contract's schema and kept in a JSON file when a path is given
// (the Electron shell passes its userData folder; serve mode keeps them in memory).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { settingsSchema, type Settings, type SettingsPatch } from '../bridge/contract.ts';

export const defaultSettings: Settings = {
  notifications: { failed: true, stalled: true, finished: false },
  demoSpeed: 1,
};

export interface SettingsStore {
  get(): Settings;
  update(patch: SettingsPatch): Settings;
}

export function createSettingsStore(file?: string): SettingsStore {
  let current = file === undefined ? defaultSettings : readSettings(file);
  return {
    get: () => current,
    update(patch) {
      current = settingsSchema.parse({
        ...current,
        ...patch,
        notifications: { ...current.notifications, ...patch.notifications },
      });
      if (file !== undefined) {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify(current, null, 2));
      }
      return current;
    },
  };
}

/** A missing or damaged settings file means defaults: settings are never worth refusing to start. */
function readSettings(file: string): Settings {
  try {
    const parsed = settingsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : defaultSettings;
  } catch {
    return defaultSettings;
  }
}
