import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { ConfigError } from "./errors.js";
import { parseMmmConfig, type MmmConfig, type MmmProgram } from "./mmm-config/index.js";
import { parseClusterSecret } from "./protocol/envelope.js";

/**
 * The MMM files from disk, for the agent, the monitor, `mmm control` and `mmm status` alike (the
 * parser, src/mmm-config, stays pure). `include` names are relative to the file's directory, as
 * in MMM; an unreadable file or include is a ConfigError naming it.
 */
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

/** The cluster secret (64 hex characters) cluster_secret_file names; the error names the file, never the content. */
export function loadClusterSecret(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read the cluster secret (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); cluster_secret_file names it, mmm bootstrap writes it`);
  }
  try {
    return parseClusterSecret(text, file);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}
