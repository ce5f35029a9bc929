#!/usr/bin/env node
import { start } from "./load.js";

await start(process.argv);
