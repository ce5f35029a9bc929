import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSampleLine } from "../../src/drill/drill-analysis.js";
import { samplingScript } from "../../src/drill/role-checker.js";

/** Runs the drill's sampling loop for 1.2 s against a fake `mariadb` client; its parsed samples. */
function sample(client: string): { samples: (ReturnType<typeof parseSampleLine>)[]; starts: number } {
  const dir = mkdtempSync(join(tmpdir(), "mmm-sampler-"));
  dirs.push(dir);
  writeFileSync(join(dir, "mariadb"), `#!/bin/sh\necho x >> "$(dirname "$0")/starts"\n${client}\n`);
  chmodSync(join(dir, "mariadb"), 0o755);
  let out = "";
  try {
    execFileSync("timeout", ["1.2", "bash", "-c", samplingScript(100)], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8" });
  } catch (err) {
    out = (err as { stdout?: string }).stdout ?? "";
  }
  let starts = 0;
  try {
    starts = readFileSync(join(dir, "starts"), "utf8").trim().split("\n").length;
  } catch {
    starts = 0;
  }
  return {
    samples: out
      .trim()
      .split("\n")
      .map((l) => parseSampleLine("db1", l)),
    starts,
  };
}
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("the drill's sampling loop", () => {
  it("asks one client session for read_only every ~100 ms and lists the host's addresses, loopback left out", () => {
    const { samples, starts } = sample(`while read -r q; do echo 1; done`);
    // One session for the whole run.
    expect(starts).toBe(1);
    expect(samples.length).toBeGreaterThanOrEqual(6);
    expect(samples.length).toBeLessThanOrEqual(13);
    for (const s of samples) {
      expect(s).not.toBeNull();
      expect(s!.readOnly).toBe(true);
      expect(s!.ips.some((ip) => ip.startsWith("127."))).toBe(false);
    }
    const at = samples.map((s) => s!.at);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(Math.abs(at[0]! - Date.now())).toBeLessThan(5_000);
  });

  it("says `-` while the server does not answer, and keeps sampling", () => {
    const { samples, starts } = sample(`exit 1`);
    expect(samples.length).toBeGreaterThanOrEqual(4);
    // Tried again for every sample.
    expect(starts).toBeGreaterThanOrEqual(samples.length);
    for (const s of samples) expect(s!.readOnly).toBeNull();
  });

  it("a client that answers writable is read as writable", () => {
    const { samples } = sample(`while read -r q; do echo 0; done`);
    expect(samples.length).toBeGreaterThanOrEqual(6);
    expect(samples.every((s) => s!.readOnly === false)).toBe(true);
  });
});
