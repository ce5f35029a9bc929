import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { argv, quote, raw, sh } from "../../src/remote/shell.js";
import { Secret } from "../../src/secret.js";

/** Runs a command through a real sh and returns what `printf '%s\n'` saw as separate words. */
function words(cmd: string): string[] {
  return execFileSync("sh", ["-c", cmd], { encoding: "utf8" }).split("\0").slice(0, -1);
}

describe("shell quoting", () => {
  const hostile = ["plain", "", "a b", "it's", `"dq"`, "$(id)", "`id`", "a;b|c&d", "back\\slash", "new\nline", "*", "ünï©ødé", "-rf"];

  it.each(hostile)("passes %j through sh as exactly one word", (value) => {
    expect(words(`printf '%s\\0' ${quote(value)}`)).toEqual([value]);
  });

  it("interpolates every value quoted and keeps the template verbatim", () => {
    const cmd = sh`printf '%s\\0' ${"a b"} ${["c d", "e"]} ${7} ${raw("$((1+1))")}`;
    expect(words(cmd.text)).toEqual(["a b", "c d", "e", "7", "2"]);
  });

  it("joins an argv with each word quoted", () => {
    expect(words(argv(["printf", "%s\\0", "x y", "it's"]).text)).toEqual(["x y", "it's"]);
  });

  it("refuses a secret: secrets never reach a command line", () => {
    expect(() => sh`echo ${new Secret("hunter2") as unknown as string}`).toThrow(/secret/);
  });
});
