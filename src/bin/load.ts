import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Starts the CLI from dist/mmm.cjs when the build made it: one file loads in about half the
 * time of the ~150 modules it is built from, and every command pays that start-up.
 */
export async function start(argv: readonly string[]): Promise<void> {
  const bundle = fileURLToPath(new URL("../mmm.cjs", import.meta.url));
  if (existsSync(bundle)) {
    process.argv = [...argv];
    createRequire(import.meta.url)(bundle);
    return;
  }
  (await import("../cli/run.js")).run(argv);
}
