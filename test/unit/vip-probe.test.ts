import { describe, expect, it } from "vitest";
import { parseVipAnswers } from "../../src/provision/bootstrap.js";

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
