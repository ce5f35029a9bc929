import { describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseStopTimes, stopScript } from "../../src/drill/faults.js";

/** A process listening on a free loopback port (IPv4 or IPv6); resolves with its pid and port. */
function listener(address = "127.0.0.1"): Promise<{ pid: number; port: number }> {
  const child = spawn(process.execPath, ["-e", `const s = require("net").createServer().listen(0, ${JSON.stringify(address)}, () => console.log(s.address().port))`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) => resolve({ pid: child.pid!, port: Number(d.toString().trim()) }));
    child.once("error", reject);
  });
}

/**
 * Runs stopScript with a fake `service` first in PATH (never the machine's own: it would stop a
 * real server) that closes the listener after `delayS`, as an init script does after its checks.
 */
async function runStop(port: number, serviceBody: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "mmm-stop-"));
  try {
    writeFileSync(join(dir, "service"), `#!/bin/sh\n${serviceBody}\n`);
    writeFileSync(join(dir, "systemctl"), "#!/bin/sh\nexit 1\n");
    chmodSync(join(dir, "service"), 0o755);
    chmodSync(join(dir, "systemctl"), 0o755);
    return await new Promise((resolve, reject) =>
      execFile("bash", ["-c", stopScript(port)], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, timeout: 20_000 }, (err, out) =>
        err ? reject(err) : resolve(out),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the clean stop's timing script", () => {
  it("times the moment the listener closes, after the init system's own delay", async () => {
    const l = await listener();
    const out = await runStop(l.port, `sleep 0.4; kill ${l.pid}; sleep 0.3`);
    const t = parseStopTimes("db1", out);
    expect(t.closedAt).not.toBeNull();
    // The watcher polls every 20 ms; a loaded machine may add a little more.
    expect(t.closedAt! - t.at).toBeGreaterThanOrEqual(400);
    expect(t.closedAt! - t.at).toBeLessThan(1_500);
  });

  it("sees an IPv6 listener (mysqld bound to ::) close too, from /proc/net/tcp6", async () => {
    const l = await listener("::1");
    // As an init script, the fake returns only once the server is gone (the watcher is stopped then).
    const out = await runStop(l.port, `sleep 0.3; kill ${l.pid}; sleep 0.3`);
    const t = parseStopTimes("db1", out);
    expect(t.closedAt).not.toBeNull();
    expect(t.closedAt! - t.at).toBeGreaterThanOrEqual(300);
    expect(t.closedAt! - t.at).toBeLessThan(1_500);
  });

  it("reports no close time when nothing listened on the port before the stop", async () => {
    const l = await listener();
    process.kill(l.pid);
    await new Promise((r) => setTimeout(r, 200));
    const t = parseStopTimes("db1", await runStop(l.port, "exit 0"));
    expect(t.closedAt).toBeNull();
    expect(Math.abs(t.at - Date.now())).toBeLessThan(5_000);
  });

  it("fails, naming the host and the exit status, when the stop command fails (and does not wait for the server)", async () => {
    const l = await listener();
    try {
      const started = Date.now();
      const out = await runStop(l.port, "exit 1");
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(out).not.toMatch(/^closed /m);
      expect(() => parseStopTimes("db1", out)).toThrow(/db1: .*failed with exit status 1/);
    } finally {
      process.kill(l.pid);
    }
  }, 20_000);

  it("parses the script's lines and names the host when the start is missing", () => {
    expect(parseStopTimes("db1", "start 1795554015197404000\nclosed 1795554016567404000\nstopped 0\n")).toEqual({ at: 1795554015197.404, closedAt: 1795554016567.404 });
    expect(() => parseStopTimes("db1", "bash: service: not found")).toThrow(/db1: .*no start time/);
  });
});
