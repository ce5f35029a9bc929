// The entry of dist/mmm.cjs, the single-file build: `node mmm.cjs ARGS` is `mmm ARGS`.
import { run } from "../cli/run.js";

run(process.argv);
