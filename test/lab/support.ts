import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { labUp } from "../../src/lab/lab-up.js";
import { labDown } from "../../src/lab/lab-down.js";
import { labExec } from "../../src/lab/lab-exec.js";
import { loadInventory } from "../../src/inventory/load.js";
import type { Inventory } from "../../src/inventory/model.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const LAB_INVENTORY = join(ROOT, "inventories", "lab.yml");
export const MMM = join(ROOT, "dist", "bin", "mmm.js");

/** The lab as it is, brought up if it is not (a no-op when it is healthy). */
export async function ensureLab(): Promise<void> {
  await labUp();
}

/** Bare hosts, as the tutorial starts: whatever an earlier test did is thrown away. */
export async function freshLab(): Promise<void> {
  await labDown();
  await labUp();
}

export function labInventory(): Inventory {
  return loadInventory(LAB_INVENTORY);
}

export async function onHost(host: string, script: string, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await labExec(host, ["sh", "-c", script], { timeoutMs });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A SQL query on a lab host as root over its socket; rows as tab-separated lines. */
export async function sqlOn(host: string, sql: string): Promise<string> {
  const r = await labExec(host, ["mariadb", "-N", "-B", "-e", sql], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${host}: ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a user would (dist/ must be built: npm test does it). */
export function mmm(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MMM, ...args],
      { cwd: ROOT, env: { ...process.env, CI: "1", ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function readText(path: string): string {
  return readFileSync(path, "utf8");
}

export async function readOnly(host: string): Promise<string> {
  return sqlOn(host, "SELECT @@GLOBAL.read_only");
}

/**
 * Probes until ok() holds. A probe that throws counts as "not yet": an agent fencing a host kills
 * every client session, the probe's own included, and that is the outcome being waited for.
 */
export async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000, stepMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const v = await probe();
      if (ok(v)) return v;
      last = JSON.stringify(v);
    } catch (e) {
      last = `error ${(e as Error).message}`;
    }
    if (Date.now() > deadline) throw new Error(`${what}: still ${last} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
