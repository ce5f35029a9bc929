import { Command, CommanderError } from "commander";
import { MmmError, ConfigError, RemoteError, errorMessage } from "../errors.js";
import { inventoryCommand } from "./inventory.js";
import { factsCommand } from "./facts.js";
import { labCommand } from "./lab.js";
import { bootstrapCommand } from "./bootstrap.js";
import { monitorCommand } from "./monitor.js";
import { controlCommand } from "./control.js";
import { agentCommand } from "./agent.js";
import { drillCommand } from "./drill.js";
import { statusCommand } from "./status.js";
import { verifyCommand } from "./verify.js";
import { VERSION } from "../version.js";

export function buildProgram(): Command {
  const program = new Command("mmm")
    .description("MySQL/MariaDB master-master replication, highly available, end to end")
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(inventoryCommand());
  program.addCommand(factsCommand());
  program.addCommand(bootstrapCommand());
  program.addCommand(labCommand());
  program.addCommand(monitorCommand());
  program.addCommand(controlCommand());
  program.addCommand(agentCommand());
  program.addCommand(drillCommand());
  program.addCommand(statusCommand());
  program.addCommand(verifyCommand());
  return program;
}

/** Renders any error for a human and returns the exit code. The only place errors become exits. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    for (const p of err.problems) process.stderr.write(`${p}\n`);
    return 1;
  }
  if (err instanceof RemoteError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.detail.command) process.stderr.write(`  command: ${err.detail.command}\n`);
    if (err.detail.exitCode !== undefined) process.stderr.write(`  exit code: ${err.detail.exitCode}\n`);
    if (err.detail.stderr) process.stderr.write(`  stderr: ${err.detail.stderr.trim().split("\n").join("\n          ")}\n`);
    return 1;
  }
  if (err instanceof MmmError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}\n`);
  return 70;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}
