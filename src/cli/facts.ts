import { Command } from "commander";

export function factsCommand(): Command {
  return new Command("facts").description("(not yet implemented)");
}
