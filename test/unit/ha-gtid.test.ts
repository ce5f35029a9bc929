import { describe, expect, it } from "vitest";
import { subtractGtidSets } from "../../src/ha/index.js";

const A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const B = "4f22fa47-71ca-11e1-9e33-c80aa9429563";

describe("subtractGtidSets", () => {
  it.each([
    ["empty minus anything", "", `${A}:1-5`, null],
    ["subset", `${A}:1-5`, `${A}:1-10`, null],
    ["errant tail", `${A}:1-103`, `${A}:1-100`, `${A}:101-103`],
    ["holes on both sides", `${A}:1-10:20-30`, `${A}:5-25`, `${A}:1-4:26-30`],
    ["another server's transactions", `${A}:1-5,${B}:1-2`, `${A}:1-5`, `${B}:1-2`],
    ["case and whitespace", `${A.toUpperCase()}:1-3,\n${B}:7`, `${A}:1-3`, `${B}:7`],
    ["single transactions merge into ranges", `${A}:1:2:3:5`, `${A}:2`, `${A}:1:3:5`],
    ["MySQL 8.4 tags", `${A}:1-3:tag:1-2`, `${A}:1-3`, `${A}:tag:1-2`],
    ["MariaDB behind in a domain", "0-1-105,1-2-7", "0-1-100,1-2-7", "0-1-105"],
    ["MariaDB domain missing", "0-1-100,2-3-4", "0-1-100", "2-3-4"],
    ["MariaDB ahead", "0-1-100", "0-2-101", null],
    ["flavors do not mix", `${A}:1-3`, "0-1-100", `${A}:1-3`],
  ])("%s", (_, a, b, expected) => {
    expect(subtractGtidSets(a, b)).toBe(expected);
  });
});
