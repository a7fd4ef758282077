// `history.export` with destination "dialog": the core makes the CSV, the shell asks where to save
// it (over the worker protocol: the dialog is Electron's, the file is written here). Every other
// command goes to the core unchanged.
import { writeFile } from 'node:fs/promises';
import type { Command, CommandResult } from '../bridge/contract.ts';
import type { CommandHandler } from '../bridge/session.ts';

export type AskSavePath = (defaultName: string) => Promise<string | undefined>;

export function withSaveDialog(core: CommandHandler, askSavePath: AskSavePath): CommandHandler {
  return {
    async handle(command: Command): Promise<CommandResult> {
      if (command.type !== 'history.export' || command.destination !== 'dialog') return core.handle(command);
      const inline = await core.handle({ ...command, destination: 'inline' });
      if (!inline.ok) return inline;
      const value = inline.value as { rows: number; filename: string; csv?: string };
      const target = await askSavePath(value.filename);
      if (target === undefined) return { ok: false, error: { code: 'cancelled', message: 'export cancelled' } };
      try {
        await writeFile(target, value.csv ?? '');
      } catch (error) {
        return { ok: false, error: { code: 'failed', message: `cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` } };
      }
      return { ok: true, value: { rows: value.rows, filename: value.filename, savedTo: target } };
    },
  };
}
