#!/usr/bin/env node
import { main } from "../cli/main.js";

// MMM's `mmm_control CMD`: the same as `mmm control CMD`.
main([process.argv[0] ?? "node", process.argv[1] ?? "mmm_control", "control", ...process.argv.slice(2)]).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`internal error: ${String(err)}\n`);
    process.exitCode = 70;
  },
);
