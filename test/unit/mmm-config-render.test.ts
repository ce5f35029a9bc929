import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Secret } from "../../src/secret.js";
import {
  RECOMMENDED_CHECKS,
  parseMmmConfig,
  renderMmmConfig,
  type MmmConfig,
  type MmmConfigFiles,
} from "../../src/mmm-config/index.js";

const FIX = join(import.meta.dirname, "../fixtures/mmm-config");
const read = (dir: string, name: string) => readFileSync(join(FIX, dir, name), "utf8");

function loadMon(dir: string): MmmConfig {
  return parseMmmConfig(read(dir, "mmm_mon.conf"), "mmm_mon.conf", (n) => read(dir, n), { program: "monitor" });
}

/** Secrets compare by identity in toEqual; turn them into their values for the comparison. */
function plain(x: unknown): unknown {
  if (x instanceof Secret) return { secret: x.reveal() };
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

function reparse(files: MmmConfigFiles, entry: "mmm_mon.conf" | string, program: "monitor" | "agent"): MmmConfig {
  const byName: Record<string, string> = { "mmm_common.conf": files["mmm_common.conf"], "mmm_mon.conf": files["mmm_mon.conf"] };
  const text = entry === "mmm_mon.conf" ? files["mmm_mon.conf"] : files.agents[entry]!;
  return parseMmmConfig(text, entry === "mmm_mon.conf" ? entry : "mmm_agent.conf", (n) => byName[n]!, { program });
}

describe("renderMmmConfig", () => {
  const tutorial = loadMon("tutorial");
  const bootstrap: MmmConfig = { ...tutorial, checks: RECOMMENDED_CHECKS };

  it("writes the tutorial's layout, with bootstrap's check settings", () => {
    const files = renderMmmConfig(bootstrap);
    expect(files["mmm_common.conf"]).toBe(read("rendered", "mmm_common.conf"));
    expect(files["mmm_mon.conf"]).toBe(read("rendered", "mmm_mon.conf"));
    expect(files.agents).toEqual({
      db1: "include mmm_common.conf\n\nthis db1\n",
      db2: "include mmm_common.conf\n\nthis db2\n",
      db3: "include mmm_common.conf\n\nthis db3\n",
      db4: "include mmm_common.conf\n\nthis db4\n",
    });
  });

  const cases: Array<[string, MmmConfig]> = [
    ["the tutorial", tutorial],
    ["bootstrap's settings", bootstrap],
    ["an MMM 2.2 install with per-host ports, tools keys and tuned checks", loadMon("mmm22")],
    [
      "mmm's extra keys, ssl sockets, debug, prefer and per-host monitor accounts",
      {
        ...bootstrap,
        debug: true,
        lease: 5,
        maxKillRetries: 3,
        clusterSecretFile: "/etc/mysql-mmm/other.secret",
        socket: { type: "ssl", certFile: "/etc/c.pem", keyFile: "/etc/k.pem", caFile: "/etc/ca.pem" },
        roles: [{ ...bootstrap.roles[0]!, prefer: "db2" }, bootstrap.roles[1]!],
        monitor: { ...bootstrap.monitor!, mode: "manual", carefulStartup: false, maxCatchupWait: 2.5, port: 9000 },
        hosts: bootstrap.hosts.map((h, i) => ({ ...h, monitorUser: `mon${i}`, mysqlPort: i === 0 ? 3307 : 3306 })),
      },
    ],
  ];

  it.each(cases)("round-trips %s through mmm_mon.conf", (_, model) => {
    const back = reparse(renderMmmConfig(model), "mmm_mon.conf", "monitor");
    expect(plain(back)).toEqual(plain(model));
  });

  it.each(cases)("gives each agent %s minus the monitor's parts, plus `this`", (_, model) => {
    const files = renderMmmConfig(model);
    const back = reparse(files, "db1", "agent");
    expect(back.this).toBe("db1");
    expect(back.monitor).toBeUndefined();
    expect(plain(back.roles)).toEqual(plain(model.roles));
    expect(plain(back.hosts)).toEqual(plain(model.hosts.map(({ monitorUser: _u, monitorPassword: _p, ...h }) => h)));
    expect([back.lease, back.debug, back.socket]).toEqual([model.lease, model.debug, model.socket]);
  });

  it("leaves MMM's defaults and mmm's extras out, so default files are plain MMM 2.2", () => {
    const files = renderMmmConfig(tutorial);
    const all = files["mmm_common.conf"] + files["mmm_mon.conf"];
    for (const key of ["lease", "cluster_secret_file", "max_catchup_wait", "mysql_port", "agent_port", "<check", "<socket"]) {
      expect(all).not.toContain(key);
    }
  });
});
