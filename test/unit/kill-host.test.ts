import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { killHostPath, runKillHost } from "../../src/monitor/kill-host.js";

describe("kill_host_bin", () => {
  it("is taken as given when absolute, else under bin_path/monitor as in MMM", () => {
    expect(killHostPath({ killHostBin: "/opt/stonith/off" })).toBe("/opt/stonith/off");
    expect(killHostPath({ killHostBin: "kill_host", binPath: "/usr/lib/mysql-mmm" })).toBe("/usr/lib/mysql-mmm/monitor/kill_host");
    expect(killHostPath({ killHostBin: "kill_host" })).toBe("/usr/libexec/mysql-mmm/monitor/kill_host");
  });

  it("runs the script with the host's name and logs its outcome", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmm-kill-host-"));
    const script = join(dir, "kill_host");
    writeFileSync(script, `#!/bin/sh\necho "$1" > ${dir}/killed\necho "powered off $1"\n`);
    chmodSync(script, 0o755);
    const log: string[] = [];
    await runKillHost(script, "db1", (l) => log.push(l));
    expect(readFileSync(join(dir, "killed"), "utf8")).toBe("db1\n");
    expect(log).toEqual([`running kill_host_bin ${script} db1`, `kill_host_bin ${script} db1 succeeded: powered off db1`]);
  });

  it("says so when the script fails or is missing, and never throws", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmm-kill-host-"));
    const script = join(dir, "fails");
    writeFileSync(script, "#!/bin/sh\necho 'no route to the PDU' >&2\nexit 3\n");
    chmodSync(script, 0o755);
    const log: string[] = [];
    await runKillHost(script, "db2", (l) => log.push(l));
    expect(log[1]).toBe(`kill_host_bin ${script} db2 failed (exit 3): no route to the PDU`);
    const missing: string[] = [];
    await runKillHost(join(dir, "nope"), "db2", (l) => missing.push(l));
    expect(missing).toEqual([`kill_host_bin ${join(dir, "nope")} is not an executable file: db2 was not powered off (its agent still drops its roles when its lease runs out)`]);
  });
});
