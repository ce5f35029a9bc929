import { describe, expect, it } from "vitest";
import { HELP, parseControlCommand, runControlCommand, type CheckName, type HaConfig, type Snapshot } from "../../src/ha/index.js";
import { at, buildChecks, buildObserved, buildState, loadHaConfig, snapshotOf, type CheckSpec, type ObserveSpec, type StateSpec } from "./ha-fixture.js";

const TUTORIAL_ROLES = { "192.168.1.100": "db1", "192.168.1.102": "db1", "192.168.1.101": "db2", "192.168.1.104": "db3", "192.168.1.103": "db4" };

function snap(
  spec: StateSpec = {},
  checks: Record<string, Partial<Record<CheckName, CheckSpec>>> = {},
  observe: Record<string, ObserveSpec> = {},
  config: HaConfig = loadHaConfig(),
): Snapshot {
  const state = buildState(config, { roles: TUTORIAL_ROLES, ...spec });
  return snapshotOf(config, state, buildChecks(config, 0, checks), buildObserved(config, state, observe));
}

function run(s: Snapshot, line: string) {
  const cmd = parseControlCommand(line);
  if ("invalid" in cmd) return { output: cmd.invalid, next: s.state };
  return runControlCommand(s, cmd, at(0), { timeZone: "utc" });
}

const down = { failingSince: -3, cause: "connection refused" };

describe("mmm control: MMM's replies", () => {
  const cases: Array<[string, Snapshot, string, string]> = [
    ["ping", snap(), "ping", "OK: Pinged successfully!"],
    ["mode", snap({ mode: "WAIT" }), "mode", "WAIT"],
    ["an invalid command", snap(), "move_role writer", `Invalid command 'move_role writer'\n\n${HELP}`],
    ["set_active when active", snap(), "set_active", "OK: Already in active mode."],
    ["set_manual from wait (MMM counts WAIT as manual)", snap({ mode: "WAIT" }), "set_manual", "OK: Already in manual mode."],
    ["set_passive when passive", snap({ mode: "PASSIVE" }), "set_passive", "OK: Already in passive mode."],
    ["set_online: unknown host", snap(), "set_online db9", "ERROR: Unknown host name 'db9'!"],
    ["set_online: already online", snap(), "set_online db1", "OK: This host is already ONLINE. Skipping command."],
    [
      "set_online: wrong state",
      snap({ hosts: { db1: "HARD_OFFLINE" } }),
      "set_online db1",
      "ERROR: Host 'db1' is 'HARD_OFFLINE' at the moment. It can't be switched to ONLINE.",
    ],
    [
      "set_online: checks failing",
      snap({ hosts: { db3: "AWAITING_RECOVERY" } }, { db3: { mysql: down } }),
      "set_online db3",
      "ERROR: Checks ping and/or mysql are not ok for host 'db3'. It can't be switched to ONLINE.",
    ],
    [
      "set_online: the peer's replication is failing",
      snap({ hosts: { db1: "AWAITING_RECOVERY" }, roles: { "192.168.1.100": "db2" } }, { db2: { rep_backlog: down } }),
      "set_online db1",
      "ERROR: Some replication checks failed on peer 'db2'. We can't set 'db1' online now. Please, wait some time.",
    ],
    [
      "set_online: agent unreachable",
      snap({ hosts: { db3: "AWAITING_RECOVERY" } }, {}, { db3: { agent: null } }),
      "set_online db3",
      "ERROR: Can't reach agent daemon on 'db3'! Can't switch its state!",
    ],
    [
      "set_online: errant transactions (mmm)",
      snap({ hosts: { db3: { state: "ADMIN_OFFLINE", errant: { gtids: "0-3-9", since: at(-5) } } } }),
      "set_online db3",
      "ERROR: Host 'db3' has transactions the writer lacks (0-3-9). It can't be switched to ONLINE.",
    ],
    ["set_offline: already", snap({ hosts: { db3: "ADMIN_OFFLINE" } }), "set_offline db3", "OK: This host is already ADMIN_OFFLINE. Skipping command."],
    [
      "set_offline: wrong state",
      snap({ hosts: { db3: "AWAITING_RECOVERY" } }),
      "set_offline db3",
      "ERROR: Host 'db3' is 'AWAITING_RECOVERY' at the moment. It can't be switched to ADMIN_OFFLINE.",
    ],
    ["move_role: passive", snap({ mode: "PASSIVE" }), "move_role writer db2", "ERROR: This command is not allowed in passive mode"],
    ["move_role: unknown role", snap(), "move_role writr db2", "ERROR: Unknown role name 'writr'!"],
    ["move_role: unknown host", snap(), "move_role writer db9", "ERROR: Unknown host name 'db9'!"],
    ["move_role: wrong state", snap({ hosts: { db2: "REPLICATION_DELAY" } }), "move_role writer db2", "ERROR: Can't move role to host with state REPLICATION_DELAY."],
    ["move_role: host cannot take the role", snap(), "move_role writer db3", "ERROR: Host 'db3' can't handle role 'writer'. Only following hosts could: db1, db2"],
    ["move_role: already there", snap(), "move_role writer db1", "OK: Role is on 'db1' already. Skipping command."],
    ["move_role: agent unreachable", snap({}, {}, { db2: { agent: null } }), "move_role writer db2", "ERROR: Can't reach agent daemon on 'db2'! Can't move roles there!"],
    [
      "move_role: held by the preferred host in active mode",
      snap({}, {}, {}, { ...loadHaConfig(), roles: loadHaConfig().roles.map((r) => (r.name === "writer" ? { ...r, prefer: "db1" } : r)) }),
      "move_role writer db2",
      "ERROR: Role 'writer' is assigned to preferred host 'db1'. Can't move it!",
    ],
    ["move_role --force: not the writer role", snap(), "move_role --force reader db2", "ERROR: move_role --forced may be used for the active master role only!"],
    ["move_role --force: wrong state", snap({ hosts: { db2: "HARD_OFFLINE" } }), "move_role --force writer db2", "ERROR: Can't force move of role to host with state HARD_OFFLINE."],
    ["set_ip: not passive", snap(), "set_ip 192.168.1.101 db1", "ERROR: This command is only allowed in passive mode"],
    ["set_ip: unknown ip", snap({ mode: "PASSIVE" }), "set_ip 192.168.1.99 db1", "ERROR: Unknown ip '192.168.1.99'!"],
    [
      "set_ip: host cannot take it",
      snap({ mode: "PASSIVE" }),
      "set_ip 192.168.1.100 db3",
      "ERROR: Host 'db3' can't handle role 'writer'. Following hosts could: db1, db2",
    ],
    [
      "set_ip: host not online",
      snap({ mode: "PASSIVE", hosts: { db2: "HARD_OFFLINE" } }),
      "set_ip 192.168.1.101 db2",
      "ERROR: Host 'db2' is 'HARD_OFFLINE' at the moment. Can't move role with ip '192.168.1.101' there.",
    ],
    ["checks: unknown host", snap(), "checks db9", "ERROR: Unknown host name 'db9'!"],
    ["checks: unknown check", snap(), "checks all ping2", "ERROR: Unknown check 'ping2'!"],
  ];
  it.each(cases)("%s", (_, s, line, output) => {
    const r = run(s, line);
    expect(r.output).toBe(output);
    if (!output.startsWith("OK: Switched")) expect(r.next).toBe(s.state);
  });
});

describe("mmm control: commands that change the monitor's intent", () => {
  it("set_online clears flapping and makes the host ONLINE", () => {
    const s = snap({ hosts: { db3: { state: "AWAITING_RECOVERY", flapping: true } } });
    const r = run(s, "set_online db3");
    expect(r.output).toBe("OK: State of 'db3' changed to ONLINE. Now you can wait some time and check its new roles!");
    expect(r.next.hosts.db3).toMatchObject({ state: "ONLINE", flapping: false, since: at(0), onlineSince: at(0), reason: "set_online by admin (was AWAITING_RECOVERY)" });
  });

  it("set_offline on a reader takes its roles", () => {
    const r = run(snap(), "set_offline db3");
    expect(r.output).toBe("OK: State of 'db3' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!");
    expect(r.next.hosts.db3!.state).toBe("ADMIN_OFFLINE");
    expect(r.next.roles.find((x) => x.ip === "192.168.1.104")!.host).toBe(null);
    expect(r.next.transition).toBe(null);
  });

  it("set_offline on the writer starts a fenced move to the other master", () => {
    const r = run(snap(), "set_offline db1");
    expect(r.next.roles.filter((x) => x.host === "db1")).toEqual([]);
    expect(r.next.transition).toMatchObject({ from: "db1", to: "db2", cause: "set_offline", forced: false });
    expect(r.next.transition!.why).toBe("moving writer from db1 to db2 because admin set db1 offline");
  });

  it("move_role writer answers like MMM and starts a fenced move", () => {
    const r = run(snap(), "move_role writer db2");
    expect(r.output).toBe("OK: Role 'writer' has been moved from 'db1' to 'db2'. Now you can wait some time and check new roles info!");
    expect(r.next.roles.find((x) => x.ip === "192.168.1.100")!.host).toBe(null);
    expect(r.next.transition).toMatchObject({ from: "db1", to: "db2", cause: "move_role", forced: false, startedAt: at(0) });
  });

  it("refuses a second move while one is under way, but --force speeds it up", () => {
    const moving = run(snap(), "move_role writer db2").next;
    const s2 = { ...snap(), state: moving };
    expect(run(s2, "move_role writer db2").output).toBe(
      "ERROR: Role 'writer' is already moving from 'db1' to 'db2'. See 'mmm control why writer', or use move_role --force.",
    );
    const forced = run(s2, "move_role --force writer db2");
    expect(forced.output).toBe("OK: Role 'writer' has been moved from 'db1' to 'db2' enforcedly. Now you can wait some time and check new roles info!");
    expect(forced.next.transition).toMatchObject({ from: "db1", to: "db2", forced: true, startedAt: at(0) });
  });

  it("move_role --force takes a lagging master ONLINE, as MMM did", () => {
    const r = run(snap({ hosts: { db2: "REPLICATION_DELAY" } }), "move_role --force writer db2");
    expect(r.next.hosts.db2).toMatchObject({ state: "ONLINE", reason: "move_role --force (was REPLICATION_DELAY)" });
    expect(r.next.transition).toMatchObject({ to: "db2", forced: true });
  });

  it("move_role on a balanced role removes it from the host (balancing places it again)", () => {
    const r = run(snap(), "move_role reader db3");
    expect(r.output).toBe("OK: Balanced role reader has been removed from host 'db3'. Now you can wait some time and check new roles info!");
    expect(r.next.roles.find((x) => x.ip === "192.168.1.104")!.host).toBe(null);
  });

  it("switches modes", () => {
    const passive = run(snap(), "set_passive");
    expect([passive.output, passive.next.mode, passive.next.passiveInfo]).toEqual(["OK: Switched into passive mode.", "PASSIVE", "Admin switched to passive mode."]);
    const active = run({ ...snap(), state: passive.next }, "set_active");
    expect([active.output, active.next.mode, active.next.passiveInfo]).toEqual(["OK: Switched into active mode.", "ACTIVE", ""]);
    expect(run(snap(), "set_manual").next.mode).toBe("MANUAL");
  });

  it("set_ip in passive mode places one IP", () => {
    const r = run(snap({ mode: "PASSIVE" }), "set_ip 192.168.1.101 db1");
    expect(r.output).toBe("OK: Set role 'reader(192.168.1.101)' to host 'db1'.");
    expect(r.next.roles.find((x) => x.ip === "192.168.1.101")!.host).toBe("db1");
  });
});
