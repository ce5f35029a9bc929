import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unifiedDiff } from "../../src/util/diff.js";

/** The diff must be one that GNU patch applies to turn `before` into `after`. */
function patchApplies(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mmm-diff-"));
  const file = join(dir, "f");
  writeFileSync(file, before);
  writeFileSync(join(dir, "p"), unifiedDiff(before, after, file));
  execFileSync("patch", ["-s", file, join(dir, "p")]);
  return execFileSync("cat", [file], { encoding: "utf8" });
}

describe("unifiedDiff", () => {
  it("is empty when nothing changes", () => {
    expect(unifiedDiff("a\nb\n", "a\nb\n", "/f")).toBe("");
  });

  it("shows a new file against /dev/null", () => {
    expect(unifiedDiff(null, "x\ny\n", "/etc/f")).toBe("--- /dev/null\n+++ /etc/f (planned)\n@@ -0,0 +1,2 @@\n+x\n+y\n");
  });

  it("shows a changed line with context", () => {
    const d = unifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n", "/f");
    expect(d).toContain("@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
  });

  it.each([
    ["1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n", "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\nY\n15\n"],
    ["a\nb\nc\n", "c\nb\na\n"],
    ["server-id=1\nread_only=1\n", "[mysqld]\nserver-id=2\nread_only=1\nlog-bin=mysql-bin\n"],
    ["only\n", ""],
  ])("produces a patch that GNU patch applies (%#)", (before, after) => {
    expect(patchApplies(before, after)).toBe(after);
  });
});
