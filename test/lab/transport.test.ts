import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { Transport, uploadCommand } from "../../src/remote/transport.js";
import { sh } from "../../src/remote/shell.js";
import { RemoteError } from "../../src/errors.js";
import { Secret } from "../../src/secret.js";
import type { SshTarget } from "../../src/inventory/model.js";
import { LAB_KEY, LAB_KNOWN_HOSTS, LAB_SUDO_USER, PROXY_COMMAND } from "../../src/lab/constants.js";
import { ensureLab, onHost } from "./support.js";

const db1: SshTarget = {
  address: "192.168.77.2",
  port: 22,
  user: "root",
  privateKeyFile: LAB_KEY,
  become: false,
  knownHostsFile: LAB_KNOWN_HOSTS,
  proxyCommand: PROXY_COMMAND,
  connectTimeout: 10,
};
const open: Transport[] = [];
function transport(target: Partial<SshTarget> = {}, opts: ConstructorParameters<typeof Transport>[2] = {}): Transport {
  const t = new Transport("db1", { ...db1, ...target }, opts);
  open.push(t);
  return t;
}

async function rejection(p: Promise<unknown>): Promise<RemoteError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteError);
  return err as RemoteError;
}

beforeAll(ensureLab);
afterAll(() => open.forEach((t) => t.close()));

describe("SSH transport against the lab's real sshd", () => {
  it("returns exit code, stdout and stderr, and runs with LC_ALL=C", async () => {
    const t = transport();
    const r = await t.exec(sh`hostname; echo oops >&2; echo $LC_ALL; exit 3`, { check: false });
    expect(r).toEqual({ code: 3, stdout: "db1\nC\n", stderr: "oops\n" });
  });

  it("reuses one connection for many commands, in parallel", async () => {
    const t = transport();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.exec(sh`echo ${String(i)}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
    const client = await t.connect();
    expect(await t.connect()).toBe(client);
  });

  it("names host, masked command, exit code and stderr when a command fails", async () => {
    const secret = new Secret("s3cr3t-pass");
    const t = transport({}, { secrets: [secret] });
    const err = await rejection(t.exec(sh`read p; echo "denied for $p" >&2; exit 42`, { stdin: "s3cr3t-pass\n" }));
    expect(err.message).toBe("db1: command failed (exit 42)");
    expect(err.detail.exitCode).toBe(42);
    expect(err.detail.stderr).toBe("denied for ***");
    expect(err.detail.command).toContain("exit 42");
  });

  it("passes secrets on stdin only: they never appear in the host's process list", async () => {
    const t = transport();
    const running = t.exec(sh`read p; sleep 2; echo "$p" | wc -c`, { stdin: "topsecret-value\n" });
    await new Promise((r) => setTimeout(r, 1000));
    const ps = await onHost("db1", "ps -eo args");
    expect(ps.stdout).not.toContain("topsecret-value");
    expect((await running).stdout.trim()).toBe("16");
  });

  it("stops a command at its timeout, on the host too", async () => {
    const t = transport();
    const started = Date.now();
    const err = await rejection(t.exec(sh`sleep 30`, { timeoutMs: 1500 }));
    expect(err.message).toMatch(/timed out after 2 s/);
    expect(Date.now() - started).toBeLessThan(8000);
    const ps = await onHost("db1", "ps -eo args= | grep -x 'sleep 30' || true");
    expect(ps.stdout.trim()).toBe("");
  });

  it("uploads with mode and owner, and reads back", async () => {
    const t = transport();
    await t.upload("/etc/mysql-mmm/test/upload.conf", "a = 1\n", { mode: 0o600, owner: "mysql:mysql" });
    const st = await onHost("db1", "stat -c '%a %U:%G' /etc/mysql-mmm/test/upload.conf");
    expect(st.stdout.trim()).toBe("600 mysql:mysql");
    expect((await t.readFile("/etc/mysql-mmm/test/upload.conf"))?.toString()).toBe("a = 1\n");
    expect(await t.readFile("/etc/mysql-mmm/test/absent")).toBeNull();
  });

  it("replaces files atomically: a reader never sees a partial file, and no temp file is left", async () => {
    const t = transport();
    const size = 400_000;
    const path = "/tmp/atomic/f";
    await t.upload(path, "a".repeat(size), { mode: 0o644 });
    // The reader takes one snapshot per round (a single open) and counts every snapshot that is
    // not exactly one full copy of either content.
    const reader = onHost(
      "db1",
      `bad=0; for i in $(seq 1 300); do cat ${path} > /tmp/snap; n=$(tr -d 'a' < /tmp/snap | wc -c); m=$(tr -d 'b' < /tmp/snap | wc -c); ` +
        `if [ "$n" != 0 ] && [ "$m" != 0 ]; then bad=$((bad+1)); fi; s=$(wc -c < /tmp/snap); [ "$s" = ${size} ] || bad=$((bad+1)); done; echo $bad`,
    );
    for (let i = 0; i < 15; i++) await t.upload(path, (i % 2 ? "a" : "b").repeat(size), { mode: 0o644 });
    expect((await reader).stdout.trim()).toBe("0");
    expect((await onHost("db1", "ls -A /tmp/atomic")).stdout.trim()).toBe("f");
  });

  it("leaves the old file in place when an upload is cut short (the controller interrupted)", async () => {
    const t = transport();
    const path = "/tmp/atomic/cut";
    await t.upload(path, "old content\n", { mode: 0o644 });
    const { command, stdin } = uploadCommand(path, "new content, much longer than what arrives\n", { mode: 0o644 });
    const r = await t.exec(command, { stdin: stdin.subarray(0, 10), check: false });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("arrived incomplete");
    expect((await t.readFile(path))?.toString()).toBe("old content\n");
    expect((await onHost("db1", "ls -A /tmp/atomic")).stdout.trim().split("\n").sort()).toEqual(["cut", "f"]);
  });

  it("refuses an unknown host key, naming its fingerprint, unless told to pin it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmm-kh-"));
    const file = join(dir, "known_hosts");
    const err = await rejection(transport({ knownHostsFile: file }).exec(sh`true`));
    expect(err.message).toMatch(/host key of 192\.168\.77\.2 is not in .*known_hosts \(ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}\).*--accept-new-host-keys/);

    await transport({ knownHostsFile: file }, { acceptNewHostKeys: true }).exec(sh`true`);
    const pinned = readFileSync(file, "utf8");
    expect(pinned).toMatch(/^192\.168\.77\.2 ssh-ed25519 AAAA\S+\n$/);
    expect(readFileSync(LAB_KNOWN_HOSTS, "utf8")).toContain(pinned.trim());
    await transport({ knownHostsFile: file }).exec(sh`true`);
  });

  it("refuses a changed host key and says how to remove the old one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmm-kh-"));
    const file = join(dir, "known_hosts");
    const db2Key = readFileSync(LAB_KNOWN_HOSTS, "utf8")
      .split("\n")
      .find((l) => l.startsWith("192.168.77.3 "))!
      .split(" ")
      .slice(1)
      .join(" ");
    writeFileSync(file, `192.168.77.2 ${db2Key}\n`);
    const err = await rejection(transport({ knownHostsFile: file }, { acceptNewHostKeys: true }).exec(sh`true`));
    expect(err.message).toMatch(/HOST KEY CHANGED for 192\.168\.77\.2: .*SHA256:.*known_hosts:1.*ssh-keygen -R 192\.168\.77\.2/);
  });

  it("runs as root through sudo for a non-root user", async () => {
    const t = transport({ user: LAB_SUDO_USER, become: true });
    expect((await t.exec(sh`id -un`)).stdout.trim()).toBe("root");
    await t.upload("/etc/mysql-mmm/test/sudo.conf", "x\n", { mode: 0o600 });
    expect((await onHost("db1", "stat -c '%a %U' /etc/mysql-mmm/test/sudo.conf")).stdout.trim()).toBe("600 root");
  });

  it.each([
    ["root", false],
    [LAB_SUDO_USER, true],
  ])("opens the MySQL socket as %s and logs in as root by unix_socket", async (user, become) => {
    const t = transport({ user, become });
    const conn = await mysql.createConnection({ user: "root", stream: await t.openUnixSocket("/run/mysqld/mysqld.sock") });
    const [rows] = await conn.query("SELECT @@hostname AS h, CURRENT_USER() AS u");
    await conn.end();
    expect(rows).toEqual([{ h: "db1", u: "root@localhost" }]);
  });

  it("says which key failed when authentication is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmm-key-"));
    const key = join(dir, "id_ed25519");
    await onHost("db1", "true");
    const { execFileSync } = await import("node:child_process");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    const err = await rejection(transport({ privateKeyFile: key }).exec(sh`true`));
    expect(err.message).toContain(`SSH authentication as root failed`);
    expect(err.message).toContain(key);
  });

  it("reports an unreachable host by name", async () => {
    const t = new Transport("ghost", { ...db1, address: "192.168.77.99", connectTimeout: 3 });
    open.push(t);
    const err = await rejection(t.exec(sh`true`));
    expect(err.message).toMatch(/^ghost: SSH connection to root@192\.168\.77\.99:22 via ProxyCommand (failed|timed out)/);
  });
});
