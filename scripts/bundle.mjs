// Builds dist/mmm.cjs: the whole CLI in one file, shipped to hosts as the agent/monitor runtime.
import { build } from "esbuild";

await build({
  entryPoints: ["src/bin/bundle.ts"],
  outfile: "dist/mmm.cjs",
  bundle: true,
  platform: "node",
  target: "node18",
  format: "cjs",
  // ssh2's optional native helpers are loaded in try/catch and have pure-JS fallbacks.
  external: ["cpu-features", "*.node"],
  legalComments: "none",
  // ESM code finds templates/ through import.meta.url; give the CommonJS bundle an equivalent.
  define: { "import.meta.url": "__mmm_import_meta_url" },
  banner: { js: 'const __mmm_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});

const { chmod } = await import("node:fs/promises");
await chmod("dist/mmm.cjs", 0o755);
await chmod("dist/bin/mmm.js", 0o755);
