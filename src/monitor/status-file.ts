import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { parseMonitorState, serializeMonitorState, type MonitorState } from "../ha/index.js";

/**
 * status_path, written atomically: a temp file in the same directory, then renamed over the old
 * one, so a crash leaves either the old state or the new one, never half of each. `durable`
 * adds an fsync before the rename. The monitor asks for it when roles, host states or modes
 * changed; a quiet cycle changes only lease times, which an OS crash makes moot anyway (the
 * host is back long after every lease ran out), and an fsync per cycle costs hundreds of ms on
 * a busy disk.
 */
export async function writeStatusFile(path: string, state: MonitorState, durable = true): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const f = await open(tmp, "w", 0o600);
  try {
    await f.writeFile(serializeMonitorState(state));
    if (durable) await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, path);
}

/** The stored state, or null when there is none yet. */
export async function readStatusFile(path: string): Promise<MonitorState | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  return parseMonitorState(text, path);
}
