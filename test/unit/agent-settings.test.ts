import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { agentSettings } from "../../src/agent/agent-daemon.js";
import { loadMmmConfigFile } from "../../src/mmm-config-files.js";

const TUTORIAL = join(import.meta.dirname, "..", "fixtures", "mmm-config", "tutorial");

describe("agentSettings", () => {
  it("reads what the agent needs from the tutorial's real MMM files", () => {
    const file = join(TUTORIAL, "mmm_agent.conf");
    const s = agentSettings(loadMmmConfigFile(file, "agent"), file);
    expect(s).toMatchObject({
      name: "db1",
      ip: "192.168.1.2",
      port: 9989,
      iface: "eth0",
      mysqlPort: 3306,
      agentUser: "mmm_agent",
      roleIps: ["192.168.1.100", "192.168.1.101", "192.168.1.102", "192.168.1.103", "192.168.1.104"],
    });
    expect(s.mmmUsers).toEqual(expect.arrayContaining(["mmm_agent", "zhuzhu"]));
    expect(s.replication?.user).toBe("zhuzhu");
    // Secrets stay wrapped: printing the settings shows no password.
    const printed = JSON.stringify(s);
    expect(printed).toContain('"agentPassword":"***"');
    expect(printed).toContain('"password":"***"');
    expect(String(s.agentPassword)).toBe("***");
  });

  it("names the file and what to add when the host has no cluster_interface or no 'this'", () => {
    const file = join(TUTORIAL, "mmm_agent.conf");
    const config = loadMmmConfigFile(file, "agent");
    const noIface = { ...config, hosts: config.hosts.map((h) => ({ ...h, clusterInterface: undefined })) };
    expect(() => agentSettings(noIface, file)).toThrow(/mmm_agent\.conf: <host db1> has no cluster_interface/);
    expect(() => agentSettings({ ...config, this: undefined }, file)).toThrow(/mmm_agent\.conf: no 'this HOST' line/);
  });

  it("names the missing include file", () => {
    expect(() => loadMmmConfigFile(join(TUTORIAL, "missing.conf"), "agent")).toThrow(/missing\.conf: cannot read \(ENOENT\)/);
  });
});
