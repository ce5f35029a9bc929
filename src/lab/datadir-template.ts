import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { RemoteError } from "../errors.js";
import { LAB_CACHE_DIR, LAB_TEMPLATE_DATADIR } from "./constants.js";
import { run, runChecked } from "./run.js";

/** "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu ..." → version and series. */
export function parseMariadbdVersion(text: string): { version: string; series: string } | null {
  const m = /\bVer\s+((\d+)\.(\d+)\.\d+)/.exec(text);
  return m && m[1] ? { version: m[1], series: `${m[2]}.${m[3]}` } : null;
}

const STAMP = `${LAB_CACHE_DIR}/datadir.stamp`;

/**
 * Runs mariadb-install-db the way Debian's mariadb-server postinst does, on the template
 * directory bind-mounted over /var/lib/mysql in a private mount namespace: the server's own
 * paths and config then apply, the mysql user can reach it (LAB_DIR is root-only), and the
 * machine's /var/lib/mysql is never touched.
 */
const INSTALL_DB_SCRIPT =
  'mount --bind "$1" /var/lib/mysql && touch "/var/lib/mysql/debian-$2.flag" && ' +
  "TMPDIR= exec mariadb-install-db --rpm --cross-bootstrap --user=mysql --disable-log-bin --skip-test-db";

/**
 * A pristine, initialised datadir, made once and copied per host (`cp` takes well under a
 * second; install-db takes seconds). Remade when the installed MariaDB version changes.
 */
export async function ensureDatadirTemplate(log: (line: string) => void): Promise<void> {
  const v = await runChecked("lab", ["mariadbd", "--version"]);
  const parsed = parseMariadbdVersion(v.stdout);
  if (!parsed) throw new RemoteError("lab", "cannot tell the MariaDB version", { command: "mariadbd --version", stderr: v.stdout });
  const stamp = v.stdout.trim();
  if (existsSync(LAB_TEMPLATE_DATADIR) && existsSync(STAMP) && readFileSync(STAMP, "utf8").trim() === stamp) return;

  log(`preparing a MariaDB ${parsed.version} datadir template (once)`);
  await runChecked("lab", ["rm", "-rf", "--one-file-system", "--", LAB_TEMPLATE_DATADIR, STAMP]);
  await runChecked("lab", ["install", "-d", "-m", "700", LAB_CACHE_DIR]);
  await runChecked("lab", ["install", "-d", "-m", "755", "-o", "mysql", "-g", "mysql", LAB_TEMPLATE_DATADIR]);
  const argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", INSTALL_DB_SCRIPT, "install-db", LAB_TEMPLATE_DATADIR, parsed.series];
  const r = await run(argv, { timeoutMs: 120_000 });
  if (r.code !== 0) {
    await run(["rm", "-rf", "--one-file-system", "--", LAB_TEMPLATE_DATADIR]);
    throw new RemoteError("lab", "mariadb-install-db failed for the lab's datadir template", {
      command: "mariadb-install-db --rpm --cross-bootstrap --user=mysql --disable-log-bin --skip-test-db",
      exitCode: r.code,
      stderr: (r.stderr + r.stdout).split("\n").slice(-15).join("\n"),
    });
  }
  writeFileSync(STAMP, `${stamp}\n`, { mode: 0o600 });
}
