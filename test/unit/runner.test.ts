import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Runner, TIMED_OUT } from "../../src/util/runner.js";

describe("Runner: commands through one helper shell", () => {
  const runner = new Runner();
  afterAll(() => runner.close());

  it("passes arguments byte for byte and returns output and exit status", async () => {
    const tricky = ["it's", 'a "quoted" $HOME', "`date`", "; rm -rf /", "  spaced  ", ""];
    const r = await runner.run("printf", ["%s|", ...tricky], 5_000);
    expect(r).toEqual({ code: 0, stdout: `${tricky.join("|")}|`, stderr: "" });
    expect(await runner.run("sh", ["-c", "echo oops >&2; exit 3"], 5_000)).toEqual({ code: 3, stdout: "", stderr: "oops\n" });
    expect((await runner.run("/nonexistent/arping", [], 5_000)).code).toBe(127);
  });

  it("stops a command at its timeout (exit 124), without waiting for it", async () => {
    const t = Date.now();
    const r = await runner.run("sleep", ["10"], 300);
    expect(r.code).toBe(TIMED_OUT);
    // Well short of the 10 s it would take unbounded (slack for a loaded machine).
    expect(Date.now() - t).toBeLessThan(6_000);
  });

  it("runs jobs concurrently and hands each its own result", async () => {
    const t = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runner.run("sh", ["-c", `sleep 1; echo ${i}`], 10_000)));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // One after another they would take 20 s.
    expect(Date.now() - t).toBeLessThan(10_000);
  });

  it("refuses an argument with a line break or NUL, and starts a new helper after close", async () => {
    await expect(runner.run("echo", ["a\nb"], 1_000)).rejects.toThrow(/line break/);
    await expect(runner.run("echo", ["a\0b"], 1_000)).rejects.toThrow(/NUL/);
    const pending = runner.run("sleep", ["2"], 5_000);
    // Closing never throws, even while the shell may be creating the job's files.
    expect(() => runner.close()).not.toThrow();
    await expect(pending).rejects.toThrow(/closed/);
    expect((await runner.run("echo", ["again"], 5_000)).stdout).toBe("again\n");
  });

  it("keeps the process alive while a job runs, and not once it is done", async () => {
    // Timers that keep the process alive; a timeout used by nothing else in this file.
    const alive = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    await runner.run("true", [], 4_321);
    const idle = alive();
    const job = runner.run("sleep", ["0.3"], 4_321);
    const running = alive();
    expect(running).toBeGreaterThan(idle);
    await job;
    expect(alive()).toBeLessThan(running);
  });

  it("fails a job at once when its directory is gone, then makes a new one", async () => {
    const base = mkdtempSync(join(tmpdir(), "mmm-runner-test-"));
    const own = new Runner(base);
    try {
      expect((await own.run("echo", ["one"], 5_000)).stdout).toBe("one\n");
      for (const d of readdirSync(base)) rmSync(join(base, d), { recursive: true, force: true });
      const t = Date.now();
      await expect(own.run("echo", ["two"], 5_000)).rejects.toThrow(/could not run/);
      // Reported by the shell, not left to the 8 s safety timer.
      expect(Date.now() - t).toBeLessThan(4_000);
      expect((await own.run("echo", ["three"], 5_000)).stdout).toBe("three\n");
    } finally {
      own.close();
      rmSync(base, { recursive: true, force: true });
    }
  });
});
