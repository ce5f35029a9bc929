import type { HostFacts } from "../facts/parse.js";
import { sh, type ShellCommand } from "../remote/shell.js";
import { PlanError } from "../errors.js";

/** The first of `candidates` the host has, e.g. mariadb before mysql before mysqld. */
export function serviceName(facts: HostFacts, candidates: readonly string[]): string {
  const found = candidates.find((c) => facts.services.includes(c));
  if (!found) throw new PlanError(`${facts.host}: no service named ${candidates.join(" or ")} (is the package installed?)`);
  return found;
}

/** systemctl where systemd is PID 1, else the init script through `service`. */
export function serviceCommand(facts: HostFacts, name: string, action: "start" | "stop" | "restart"): ShellCommand {
  return facts.init === "systemd" ? sh`systemctl ${action} ${name}` : sh`service ${name} ${action}`;
}

export const MYSQL_SERVICES = ["mariadb", "mysql", "mysqld"] as const;
export const CHRONY_SERVICES = ["chrony", "chronyd"] as const;
