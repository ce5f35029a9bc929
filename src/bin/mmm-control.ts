#!/usr/bin/env node
import { start } from "./load.js";

// MMM's `mmm_control CMD`: the same as `mmm control CMD`.
await start([process.argv[0] ?? "node", process.argv[1] ?? "mmm_control", "control", ...process.argv.slice(2)]);
