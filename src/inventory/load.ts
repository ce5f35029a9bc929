import { readFileSync } from "node:fs";
import { ConfigError } from "../errors.js";
import type { Inventory } from "./model.js";
import { parseInventory, type Env } from "./parse.js";

/** Reads and validates an inventory file; the only IO in src/inventory. Throws ConfigError. */
export function loadInventory(file: string, env: Env = process.env): Inventory {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : String(err);
    throw new ConfigError(`${file}: cannot read the inventory (${why})`);
  }
  return parseInventory(text, file, env);
}
