import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { MmmMonitor } from "../mmm-config/model.js";

/** Where MMM looks for its monitor's helpers when bin_path is not set. */
const DEFAULT_BIN_PATH = "/usr/libexec/mysql-mmm";
/** A power-off script that takes longer than this is reported as failed (it keeps running). */
const KILL_HOST_TIMEOUT_MS = 30_000;

/** MMM's kill_host_bin: absolute as given, otherwise under bin_path/monitor/. */
export function killHostPath(mon: Pick<MmmMonitor, "killHostBin" | "binPath">): string {
  return isAbsolute(mon.killHostBin) ? mon.killHostBin : join(mon.binPath ?? DEFAULT_BIN_PATH, "monitor", mon.killHostBin);
}

/**
 * Runs kill_host_bin HOST, as MMM does, for a host that answers ping while its agent cannot be
 * told anything (after its lease expired and another host became writer): the operator's way to
 * power it off. Never throws; every outcome is logged, a missing script included, since without
 * it the cut-off host is only stopped by its own lease.
 */
export async function runKillHost(path: string, host: string, log: (line: string) => void): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch {
    log(`kill_host_bin ${path} is not an executable file: ${host} was not powered off (its agent still drops its roles when its lease runs out)`);
    return;
  }
  log(`running kill_host_bin ${path} ${host}`);
  await new Promise<void>((resolve) => {
    execFile(path, [host], { timeout: KILL_HOST_TIMEOUT_MS }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`.trim().split("\n").slice(-3).join(" | ");
      if (err) log(`kill_host_bin ${path} ${host} failed (${err.killed ? `no exit within ${KILL_HOST_TIMEOUT_MS / 1000} s` : `exit ${err.code ?? err.signal}`})${out ? `: ${out}` : ""}`);
      else log(`kill_host_bin ${path} ${host} succeeded${out ? `: ${out}` : ""}`);
      resolve();
    });
  });
}
