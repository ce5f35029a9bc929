import { describe, expect, it } from "vitest";
import { parseVipAnswers } from "../../src/provision/bootstrap.js";
import { foreignVips } from "../../src/provision/preflight.js";

describe("parseVipAnswers", () => {
  it("reads the VIPs that answered, with the MAC that answered when the neighbour table had it", () => {
    expect(parseVipAnswers("192.168.77.101 E2:0B:BC:AF:2A:72\n192.168.77.100 e2:0b:bc:af:2a:72\n192.168.77.104 \n\n")).toEqual([
      { ip: "192.168.77.100", mac: "e2:0b:bc:af:2a:72" },
      { ip: "192.168.77.101", mac: "e2:0b:bc:af:2a:72" },
      { ip: "192.168.77.104", mac: null },
    ]);
  });

  it("is empty when nothing answered", () => {
    expect(parseVipAnswers("")).toEqual([]);
  });
});

describe("foreignVips", () => {
  const facts = new Map([
    ["db1", { interfaces: [{ name: "eth0", mac: "E2:0B:BC:AF:2A:72", up: true, addresses: [{ family: "inet", address: "192.168.77.100", prefix: 32 }] }] }],
    ["db2", { interfaces: [{ name: "eth0", mac: "aa:bb:cc:00:00:02", up: true, addresses: [] }] }],
  ]) as unknown as Parameters<typeof foreignVips>[1];

  it("flags only a VIP that answers from a MAC none of our hosts has", () => {
    expect(
      foreignVips(
        [
          { ip: "192.168.77.100", mac: "e2:0b:bc:af:2a:72" }, // held by db1 in the facts
          { ip: "192.168.77.101", mac: "aa:bb:cc:00:00:02" }, // moved to db2 after the facts
          { ip: "192.168.77.102", mac: "de:ad:be:ef:00:01" }, // a stranger
          { ip: "192.168.77.103", mac: null }, // answered, no neighbour entry: unknown, so flagged
        ],
        facts,
      ),
    ).toEqual(["192.168.77.102", "192.168.77.103"]);
  });
});
