import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { ConfigError } from "../errors.js";
import { parseMmmConfig, type MmmConfig, type MmmProgram } from "../mmm-config/index.js";
import { parseClusterSecret } from "../protocol/envelope.js";

/** Reads an MMM config file; `include` names are relative to its directory, as MMM does. */
export function loadMmmConfigFile(file: string, program: MmmProgram): MmmConfig {
  const read = (path: string): string => {
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      throw new ConfigError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); run mmm bootstrap to write it, or pass --config`);
    }
  };
  return parseMmmConfig(read(file), file, (name) => read(isAbsolute(name) ? name : join(dirname(file), name)), { program });
}

/** The cluster secret (64 hex characters); the error names the file, never the content. */
export function loadClusterSecret(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read the cluster secret (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); cluster_secret_file names it`);
  }
  try {
    return parseClusterSecret(text, file);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}
