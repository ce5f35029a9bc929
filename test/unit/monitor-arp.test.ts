import { describe, expect, it } from "vitest";
import { ArpWatcher, arpView, parseArpingMac } from "../../src/monitor/arp-watcher.js";

const HOSTS = [
  { name: "db1", ip: "192.168.77.2" },
  { name: "db2", ip: "192.168.77.3" },
];
const MAC1 = "66:d2:0a:93:9d:b2";
const MAC2 = "06:9a:75:93:63:63";

describe("the monitor's ARP check", () => {
  it("reads the MAC arping -r prints", () => {
    expect(parseArpingMac("06:9A:75:93:63:63\n")).toBe(MAC2);
    expect(parseArpingMac("")).toBeNull();
  });

  it("names the host whose MAC answered, null when nobody did, and leaves out unknown MACs and old answers", () => {
    const hostMacs = new Map([
      ["db1", MAC1],
      ["db2", MAC2],
    ]);
    const vips = new Map<string, { mac: string | null; at: number }>([
      ["192.168.77.100", { mac: MAC2, at: 10_000 }],
      ["192.168.77.101", { mac: null, at: 10_000 }],
      ["192.168.77.102", { mac: "aa:aa:aa:aa:aa:aa", at: 10_000 }],
      ["192.168.77.103", { mac: MAC1, at: 1_000 }],
    ]);
    expect(arpView(vips, hostMacs, 11_000)).toEqual({ "192.168.77.100": "db2", "192.168.77.101": null });
  });

  it("records nothing for a VIP it could not check (no arping), so decide never announces on a guess", async () => {
    const answers: Record<string, string | null | undefined> = { "192.168.77.2": MAC1, "192.168.77.3": MAC2, "192.168.77.100": MAC1, "192.168.77.101": undefined };
    const w = new ArpWatcher(HOSTS, ["192.168.77.100", "192.168.77.101"], async (ip) => answers[ip], () => 5_000);
    await w.refresh();
    expect(w.view()).toEqual({ "192.168.77.100": "db1" });
  });
});
