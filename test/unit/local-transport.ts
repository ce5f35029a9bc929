import { spawnSync } from "node:child_process";
import type { Transport } from "../../src/remote/transport.js";

/**
 * A transport whose host is this machine: exec runs the command under sh -c, as Transport.exec
 * runs it on a host, and records it in `calls`. Enough for code that only execs.
 */
export function localTransport(calls: string[] = []): Transport {
  return {
    host: "local",
    display: (t: string) => t,
    async exec(command: { text: string }) {
      calls.push(command.text);
      const r = spawnSync("sh", ["-c", command.text], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
      return { code: r.status ?? 255, stdout: r.stdout, stderr: r.stderr };
    },
  } as unknown as Transport;
}
