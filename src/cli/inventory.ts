import { Command } from "commander";

export function inventoryCommand(): Command {
  return new Command("inventory").description("(not yet implemented)");
}
