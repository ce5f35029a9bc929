/**
 * The HA core and the MMM config parser are pure (STYLE.md principle 1): this is the lint rule
 * that keeps them so. Imports stay inside the pure modules; no clock, randomness, timers or process.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../../src");
const PURE_DIRS = ["ha", "mmm-config"];
const ALLOWED = [/^\.\/[\w-]+\.js$/, /^\.\.\/(errors|secret)\.js$/, /^\.\.\/mmm-config\/[\w-]+\.js$/, /^zod$/];
const FORBIDDEN = [/\bDate\.now\b/, /new Date\(\)/, /\bsetTimeout\b/, /\bsetInterval\b/, /\bprocess\./, /\bMath\.random\b/, /\brequire\(/];

describe("pure modules", () => {
  for (const dir of PURE_DIRS) {
    for (const file of readdirSync(join(SRC, dir)).filter((f) => f.endsWith(".ts"))) {
      it(`src/${dir}/${file} imports no IO and reads no clock`, () => {
        const text = readFileSync(join(SRC, dir, file), "utf8");
        const imports = [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]!);
        expect(imports.filter((i) => !ALLOWED.some((re) => re.test(i)))).toEqual([]);
        expect(FORBIDDEN.filter((re) => re.test(text)).map(String)).toEqual([]);
      });
    }
  }
});
