import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from "node:fs";
import { PlanError } from "../errors.js";
import { LAB_DIR } from "./constants.js";
import { isAlive } from "./proc.js";

const LOCK_FILE = `${LAB_DIR}/lock`;

/**
 * Serialises `up` and `down`: two of them interleaving would kill each other's hosts. The lock
 * holds the holder's PID; a lock whose holder is gone (killed run) is taken over.
 */
export async function withLabLock<T>(what: string, fn: () => Promise<T>, waitMs = 180_000): Promise<T> {
  mkdirSync(LAB_DIR, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number.parseInt(safeRead(LOCK_FILE), 10);
      if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
        rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new PlanError(`cannot ${what}: another \`mmm lab\` (PID ${holder}) holds ${LOCK_FILE}; wait for it to finish`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    if (Number.parseInt(safeRead(LOCK_FILE), 10) === process.pid) rmSync(LOCK_FILE, { force: true });
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
