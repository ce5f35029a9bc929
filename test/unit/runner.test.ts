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
    expect(Date.now() - t).toBeLessThan(3_000);
  });

  it("runs jobs concurrently and hands each its own result", async () => {
    const t = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runner.run("sh", ["-c", `sleep 0.3; echo ${i}`], 5_000)));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(Date.now() - t).toBeLessThan(3_000);
  });

  it("refuses an argument with a line break, and starts a new helper after close", async () => {
    await expect(runner.run("echo", ["a\nb"], 1_000)).rejects.toThrow(/line break/);
    const pending = runner.run("sleep", ["2"], 5_000);
    runner.close();
    await expect(pending).rejects.toThrow(/closed/);
    expect((await runner.run("echo", ["again"], 5_000)).stdout).toBe("again\n");
  });
});
