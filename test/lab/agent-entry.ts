// The agent alone, bundled by test/lab/agent.test.ts so that the lab test exercises this
// command's code even while other commands of the shared CLI are being edited.
import { Command } from "commander";
import { agentCommand } from "../../src/cli/agent.js";

const program = new Command("mmm").exitOverride();
program.addCommand(agentCommand());
program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as { exitCode?: number; message?: string; problems?: string[] };
  if (typeof e.exitCode === "number") process.exitCode = e.exitCode;
  else {
    process.stderr.write(`error: ${e.message ?? String(err)}\n${(e.problems ?? []).join("\n")}`);
    process.exitCode = 1;
  }
});
