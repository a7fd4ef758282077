// Validates electron-builder.yml against electron-builder's own schema (the validation it runs
// before packaging) and pins what we ship: targets per OS, bundles only, the agent as a resource,
// hardening fuses.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Configuration } from 'app-builder-lib';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';

const config = parse(readFileSync(new URL('./electron-builder.yml', import.meta.url), 'utf8')) as Configuration;

const targetNames = (targets: unknown): string[] =>
  (Array.isArray(targets) ? targets : [targets]).map((t) => (typeof t === 'string' ? t : (t as { target: string }).target));

describe('electron-builder.yml', () => {
  it('passes electron-builder schema validation', async () => {
    await expect(validateConfiguration(structuredClone(config), new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('builds dmg, nsis, AppImage and deb', () => {
    expect(targetNames(config.mac?.target)).toEqual(['dmg']);
    expect(targetNames(config.win?.target)).toEqual(['nsis']);
    expect(targetNames(config.linux?.target)).toEqual(['AppImage', 'deb']);
  });

  it('ships the built bundles only, and the agent bundle as an extra resource', () => {
    expect(config.files).toEqual(expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**']));
    expect(JSON.stringify(config.files)).not.toMatch(/electron\/|renderer\/src|\*\*\/\*"/);
    const resources = config.extraResources as { from: string; to: string }[];
    expect(resources).toContainEqual(expect.objectContaining({ from: 'out/agent', to: 'agent' }));
  });

  it('pins the fuses: nothing an attacker could use (run as node, NODE_OPTIONS, inspect, file:// privileges), asar only and verified', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});
