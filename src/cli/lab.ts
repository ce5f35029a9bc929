import { Command } from "commander";

export function labCommand(): Command {
  return new Command("lab").description("(not yet implemented)");
}
