// The window's size and position, saved on close and restored on start, only when it still fits a
// connected display (a monitor may have been unplugged since).
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

const boundsSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(400).max(20_000),
  height: z.number().int().min(300).max(20_000),
  maximized: z.boolean(),
});
export type SavedBounds = z.infer<typeof boundsSchema>;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const defaultSize = { width: 1280, height: 820 };

export function loadBounds(file: string, displays: readonly Rect[]): SavedBounds | undefined {
  let parsed: SavedBounds;
  try {
    const result = boundsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!result.success) return undefined;
    parsed = result.data;
  } catch {
    return undefined;
  }
  const visible = displays.some(
    (d) => parsed.x < d.x + d.width - 50 && parsed.x + parsed.width > d.x + 50 && parsed.y >= d.y - 10 && parsed.y < d.y + d.height - 50,
  );
  return visible ? parsed : undefined;
}

export function saveBounds(file: string, bounds: SavedBounds): void {
  try {
    writeFileSync(file, JSON.stringify(bounds));
  } catch {
    // Losing the window position is not worth an error dialog on quit.
  }
}
