import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { freshLab, LAB_INVENTORY, MMM, mmm, onHost, ROOT, sqlOn } from "./support.js";

/**
 * `mmm status` and `mmm verify` on a freshly bootstrapped lab (bootstrap starts the runtime and
 * sets every host online), then one fault at a time: each test asserts the exact diagnosis and
 * the exit code, then repairs and waits until status is clean again, so the lab is left healthy.
 * Needs dist/ (npm run build). Run under the lab lock:
 *   flock /run/mmm-lab-usage.lock npx vitest run test/lab/status-verify.test.ts
 */

const BUNDLE = "/opt/mmm/mmm.cjs";

interface StatusJson {
  ok: boolean;
  monitor: { source: string };
  hosts: { name: string; state: string | null; roles: { role: string; ip: string }[]; vips: string[] | null; source: string | null; readOnly: boolean | null }[];
  problems: string[];
}
interface VerifyJson {
  ok: boolean;
  problems: string[];
  observations: { hosts: { name: string; arrivalMs: number | null }[]; readers: { ip: string; found: boolean }[] };
}

async function statusUntilOk(timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await mmm(["status", LAB_INVENTORY]);
  while (last.code !== 0) {
    if (Date.now() > deadline) throw new Error(`mmm status still failing after ${timeoutMs} ms:\n${last.stdout}${last.stderr}`);
    await new Promise((r) => setTimeout(r, 1000));
    last = await mmm(["status", LAB_INVENTORY]);
  }
}

function problemsOf(text: string): string[] {
  const i = text.indexOf("\nproblems (");
  return i < 0 ? [] : text.slice(i).split("\n").filter((l) => l.startsWith("  ")).map((l) => l.slice(2));
}

describe("mmm status and mmm verify on the lab", () => {
  beforeAll(async () => {
    await freshLab();
    const b = await mmm(["bootstrap", LAB_INVENTORY]);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    await statusUntilOk();
  }, 600_000);

  afterAll(async () => {
    // Whatever a failed test left behind: threads running, read_only back, db4 online.
    await sqlOn("db3", "START SLAVE").catch(() => undefined);
    await sqlOn("db3", "SET GLOBAL read_only=1").catch(() => undefined);
    await onHost("monitor", `node ${BUNDLE} control set_online db4`).catch(() => undefined);
    await statusUntilOk().catch(() => undefined);
  }, 120_000);

  it("status: every host ONLINE, the writer VIP on db1, exit 0; the JSON says what the text says", async () => {
    const text = await mmm(["status", LAB_INVENTORY]);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^monitor monitor \(192\.168\.77\.1\): mode ACTIVE$/m);
    expect(text.stdout).toContain("ok: every host ONLINE, every role assigned, VIPs where the monitor put them");
    const js = await mmm(["status", LAB_INVENTORY, "--json"]);
    expect(js.code).toBe(0);
    const s = JSON.parse(js.stdout) as StatusJson;
    expect(s.ok).toBe(true);
    expect(s.monitor.source).toBe("live");
    expect(s.hosts.map((h) => h.state)).toEqual(["ONLINE", "ONLINE", "ONLINE", "ONLINE"]);
    const db1 = s.hosts.find((h) => h.name === "db1")!;
    expect(db1.roles).toContainEqual({ role: "writer", ip: "192.168.77.100" });
    expect(db1.vips).toContain("192.168.77.100");
    expect(db1.readOnly).toBe(false);
    for (const h of s.hosts) {
      const row = text.stdout.split("\n").find((l) => l.startsWith(`${h.name} `))!;
      const cells = row.split(/\s{2,}/);
      expect(cells[3]).toBe(h.state);
      expect(cells[4]).toBe(h.roles.map((r) => `${r.role}(${r.ip})`).join(", ") || "-");
      expect(cells[5]).toBe("ok");
      expect(cells[6]).toBe(h.source ?? "-");
      expect(cells[11]).toBe(h.readOnly ? "ON" : "OFF");
    }
  }, 60_000);

  it("status without an inventory, on the monitor host: the same hosts and states from mmm_mon.conf", async () => {
    const r = await onHost("monitor", `node ${BUNDLE} status`, 60_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^monitor monitor \(192\.168\.77\.1\): mode ACTIVE$/m);
    for (const [h, ip] of [["db1", "192.168.77.2"], ["db2", "192.168.77.3"], ["db3", "192.168.77.4"], ["db4", "192.168.77.5"]]) {
      expect(r.stdout).toMatch(new RegExp(`^${h}\\s+${ip.replace(/\./g, "\\.")}\\s+(master|slave)\\s+ONLINE\\s`, "m"));
    }
    expect(r.stdout).toMatch(/^db1 .*writer\(192\.168\.77\.100\)/m);
    const js = await onHost("monitor", `node ${BUNDLE} status --json`, 60_000);
    expect(js.code).toBe(0);
    expect((JSON.parse(js.stdout) as StatusJson).hosts.map((h) => h.state)).toEqual(["ONLINE", "ONLINE", "ONLINE", "ONLINE"]);
  }, 120_000);

  it("status --watch redraws until SIGINT, then exits cleanly", async () => {
    const child = spawn(process.execPath, [MMM, "status", LAB_INVENTORY, "--watch", "1"], { cwd: ROOT, env: { ...process.env, CI: "1" } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30_000;
    while ((out.match(/^Every 1 s: mmm status/gm) ?? []).length < 2) {
      if (Date.now() > deadline) throw new Error(`no second refresh: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code, out).toBe(0);
    expect(out).not.toMatch(/error|Error/);
    expect((out.match(/^ok: every host ONLINE/gm) ?? []).length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it("verify: healthy cluster, exit 0, per-host latencies, every reader VIP; JSON agrees", async () => {
    const r = await mmm(["verify", LAB_INVENTORY]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^marker mmm_verify\.marker id \d+ \(token [0-9a-f]{8}…\) written through the writer VIP 192\.168\.77\.100 on db1$/m);
    expect(r.stdout).toMatch(/^db1\s+1\s+OFF\s+0 ms \(writer\)$/m);
    for (const [h, id] of [["db2", 2], ["db3", 3], ["db4", 4]] as const) expect(r.stdout).toMatch(new RegExp(`^${h}\\s+${id}\\s+ON\\s+\\d+ ms$`, "m"));
    expect(r.stdout).toMatch(/^verify: ok$/m);
    expect(r.stdout).not.toContain("lab-app-pass");
    const j = await mmm(["verify", LAB_INVENTORY, "--json"]);
    expect(j.code).toBe(0);
    const v = JSON.parse(j.stdout) as VerifyJson;
    expect(v.ok).toBe(true);
    expect(v.observations.hosts.every((h) => h.arrivalMs !== null)).toBe(true);
    expect(v.observations.readers.map((x) => x.ip).sort()).toEqual(["192.168.77.101", "192.168.77.102", "192.168.77.103", "192.168.77.104"]);
    expect(v.observations.readers.every((x) => x.found)).toBe(true);
    expect(j.stdout).not.toContain("lab-app-pass");
  }, 60_000);

  it("verify: a stopped SQL thread on db3", async () => {
    await sqlOn("db3", "STOP SLAVE SQL_THREAD");
    try {
      const r = await mmm(["verify", LAB_INVENTORY, "--timeout", "3"]);
      expect(r.code, r.stdout).toBe(1);
      expect(problemsOf(r.stdout)).toContain("db3: SQL thread stopped (source db1)");
      expect(problemsOf(r.stdout)).toContain("db3: marker not applied within 3 s (replication wait: timeout)");
      const j = JSON.parse((await mmm(["verify", LAB_INVENTORY, "--timeout", "3", "--json"])).stdout) as VerifyJson;
      expect(j.problems).toContain("db3: SQL thread stopped (source db1)");
    } finally {
      await sqlOn("db3", "START SLAVE SQL_THREAD");
    }
    await statusUntilOk();
    expect((await mmm(["verify", LAB_INVENTORY])).code).toBe(0);
  }, 180_000);

  it("verify: a row changed on db4 only (outside the binlog)", async () => {
    const id = await sqlOn("db4", "SELECT MIN(id) FROM mmm_verify.marker");
    const token = await sqlOn("db4", `SELECT token FROM mmm_verify.marker WHERE id = ${Number(id)}`);
    const rows = await sqlOn("db1", "SELECT COUNT(*) FROM mmm_verify.marker");
    await sqlOn("db4", `SET sql_log_bin=0; UPDATE mmm_verify.marker SET token = 'tampered-by-test' WHERE id = ${Number(id)}`);
    try {
      const r = await mmm(["verify", LAB_INVENTORY]);
      expect(r.code, r.stdout).toBe(1);
      // verify adds one marker, so the writer then holds one more row than counted above.
      expect(problemsOf(r.stdout)).toEqual([
        `db4: table mmm_verify.marker chunk 1 (id 1–1000) differs from the writer db1 (same row count ${Number(rows) + 1}, different content)`,
      ]);
    } finally {
      await sqlOn("db4", `SET sql_log_bin=0; UPDATE mmm_verify.marker SET token = '${token}' WHERE id = ${Number(id)}`);
    }
    expect((await mmm(["verify", LAB_INVENTORY])).code).toBe(0);
  }, 120_000);

  it("verify: a writable non-writer (read_only=0 on db3)", async () => {
    // The runtime would put read_only back within a monitor cycle: db3's agent is stopped first
    // (stopping drops what it holds and sets read_only), so the fault stays while verify looks.
    const stop = await onHost("db3", "service mmm-agent stop");
    expect(stop.code, stop.stderr).toBe(0);
    try {
      await sqlOn("db3", "SET GLOBAL read_only=0");
      const r = await mmm(["verify", LAB_INVENTORY]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const problems = problemsOf(r.stdout);
      expect(problems, r.stdout + r.stderr).toContain("db3: writable (read_only=OFF) but not the writer db1: SET GLOBAL read_only=1 there");
      // db3's reader VIP went with its agent, so that VIP may not answer; nothing else may be reported.
      expect(problems.filter((p) => !p.startsWith("db3: writable") && !/^reader VIP 192\.168\.77\.10\d: /.test(p)), r.stdout).toEqual([]);
    } finally {
      await sqlOn("db3", "SET GLOBAL read_only=1");
      await onHost("db3", "service mmm-agent start");
    }
    await statusUntilOk();
    expect((await mmm(["verify", LAB_INVENTORY])).code).toBe(0);
  }, 180_000);

  it("status: exit 1 after set_offline db4, naming the state and why; clean again after set_online", async () => {
    const off = await onHost("monitor", `node ${BUNDLE} control set_offline db4`);
    expect(off.stdout).toMatch(/^OK: /);
    try {
      const r = await mmm(["status", LAB_INVENTORY]);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stdout).toMatch(/^db4\s+192\.168\.77\.5\s+slave\s+ADMIN_OFFLINE\s+-\s+/m);
      expect(problemsOf(r.stdout)).toContainEqual(expect.stringMatching(/^db4: ADMIN_OFFLINE since \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d: .*admin/));
      const s = JSON.parse((await mmm(["status", LAB_INVENTORY, "--json"])).stdout) as StatusJson;
      expect(s.ok).toBe(false);
      expect(s.hosts.find((h) => h.name === "db4")!.state).toBe("ADMIN_OFFLINE");
      const db4 = (list: readonly string[]) => list.filter((p) => p.startsWith("db4: ADMIN_OFFLINE"));
      expect(db4(s.problems)).toEqual(db4(problemsOf(r.stdout)));
    } finally {
      await onHost("monitor", `node ${BUNDLE} control set_online db4`);
    }
    await statusUntilOk();
  }, 180_000);
});
