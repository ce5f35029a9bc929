import { unchanged } from "../change.js";
import type { Step } from "../context.js";
import { installCommand } from "./time.js";

/** The distribution's server package, when a database host has none. */
export const serverPackageStep: Step<null> = {
  id: "server-package",
  title: "MySQL/MariaDB server package",
  appliesTo: (h) => h.kind !== "monitor",
  refreshesFacts: true,
  observe: async () => null,
  plan(_o, input) {
    const m = input.facts.mysql;
    if (m) return unchanged(`${m.flavor === "mariadb" ? "MariaDB" : "MySQL"} ${m.version} installed (${m.binary})`);
    const pkg = "mariadb-server";
    return {
      changes: [{ kind: "command", summary: `install ${pkg}`, command: installCommand(input, pkg), timeoutMs: 900_000 }],
      reason: "",
    };
  },
};
