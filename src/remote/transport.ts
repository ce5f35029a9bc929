import ssh2, { type ClientChannel, type ConnectConfig, type AuthenticationType } from "ssh2";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, existsSync, appendFileSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { Duplex } from "node:stream";
import { createHash } from "node:crypto";
import type { SshTarget } from "../inventory/model.js";
import { RemoteError, errorMessage } from "../errors.js";
import { maskSecrets, type Secret } from "../secret.js";
import { quote, sh, type ShellCommand } from "./shell.js";
import {
  fingerprint,
  formatKnownHost,
  hostKeyName,
  keyTypeOfBlob,
  knownKeyTypes,
  parseKnownHosts,
  verifyHostKey,
  type HostKeyVerdict,
} from "./known-hosts.js";

// ssh2 is CommonJS: its named exports are reachable only through the default export under ESM.
const { Client, utils } = ssh2;
type Client = InstanceType<typeof Client>;

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RemoteProcess {
  readonly stdin: NodeJS.WritableStream;
  readonly stdout: NodeJS.ReadableStream;
  /** stdout is "" here: it was streamed. */
  readonly done: Promise<ExecResult>;
}

export interface ExecOptions {
  /** Bytes for the command's stdin: the only way a secret may reach a remote process. */
  readonly stdin?: string | Buffer;
  /** Default: the transport's commandTimeoutMs. */
  readonly timeoutMs?: number;
  /** When false, a non-zero exit is returned rather than thrown. Default true. */
  readonly check?: boolean;
}

export interface UploadOptions {
  /** Octal file mode, e.g. 0o600. */
  readonly mode: number;
  /** `user` or `user:group`; default: unchanged (the connecting user, or root under sudo). */
  readonly owner?: string;
}

export interface TransportOptions {
  /** Pin keys of hosts missing from known_hosts instead of refusing them. */
  readonly acceptNewHostKeys?: boolean;
  /** Used when the target names no UserKnownHostsFile. */
  readonly knownHostsFile?: string;
  /** Masked out of every error message and command display. */
  readonly secrets?: readonly Secret[];
  readonly commandTimeoutMs?: number;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
/** ssh2's default host key algorithms, reordered per host so known key types are offered first. */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/**
 * One SSH connection to one host, opened on first use and reused for every command.
 * Commands always run under `sh -c` with LC_ALL=C (parsers depend on untranslated output),
 * through `sudo -n` when the target says so, and under the remote `timeout` so that a hung
 * command cannot outlive its deadline on the host either.
 */
export class Transport {
  #client?: Promise<Client>;
  #proxy?: ChildProcess;
  #hostKeyProblem?: string;
  /** The ProxyCommand's last words: why a proxied connection failed. */
  #proxyStderr = "";
  readonly #opts: TransportOptions;

  constructor(
    readonly host: string,
    readonly target: SshTarget,
    opts: TransportOptions = {},
  ) {
    this.#opts = opts;
  }

  /** The text of a command as it may be shown: secrets masked. */
  display(text: string): string {
    return maskSecrets(text, this.#opts.secrets ?? []);
  }

  connect(): Promise<Client> {
    this.#client ??= this.#open().catch((err: unknown) => {
      this.#client = undefined;
      throw err;
    });
    return this.#client;
  }

  async exec(command: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    const client = await this.connect();
    const timeoutMs = opts.timeoutMs ?? this.#opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const wrapped = this.#wrap(command, timeoutMs);
    const started = Date.now();
    const result = await new Promise<ExecResult>((resolve, reject) => {
      client.exec(wrapped, (err, stream) => {
        if (err) return reject(this.#error(`cannot start command: ${err.message}`, command.text));
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        // The remote `timeout` ends the command; this local timer only catches a dead connection.
        const timer = setTimeout(() => {
          stream.close();
          reject(this.#error(`no answer within ${Math.round(timeoutMs / 1000) + 10} s`, command.text));
        }, timeoutMs + 10_000);
        stream.on("data", (d: Buffer) => out.push(d));
        stream.stderr.on("data", (d: Buffer) => errs.push(d));
        stream.on("close", (code: number | null, signal?: string) => {
          clearTimeout(timer);
          resolve({
            code: code ?? (signal ? 128 : 255),
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(errs).toString("utf8"),
          });
        });
        stream.end(opts.stdin ?? "");
      });
    });
    if (result.code === 124 && Date.now() - started >= timeoutMs) {
      throw this.#error(`timed out after ${Math.round(timeoutMs / 1000)} s`, command.text, result);
    }
    if (opts.check !== false && result.code !== 0) {
      throw this.#error(`command failed (exit ${result.code})`, command.text, result);
    }
    return result;
  }

  /**
   * A long-running command whose stdin and stdout are streams (a dump piped into a restore).
   * `done` settles when it exits: with its exit code and the tail of its stderr. The caller must
   * end stdin and consume stdout, or the channel never closes.
   */
  async spawn(command: ShellCommand, timeoutMs = 3_600_000): Promise<RemoteProcess> {
    const client = await this.connect();
    return new Promise((resolve, reject) => {
      client.exec(this.#wrap(command, timeoutMs), (err, stream) => {
        if (err) return reject(this.#error(`cannot start command: ${err.message}`, command.text));
        let stderr = "";
        stream.stderr.on("data", (d: Buffer) => {
          stderr = (stderr + d.toString("utf8")).slice(-4000);
        });
        const done = new Promise<ExecResult>((res) => {
          stream.on("close", (code: number | null, signal?: string) =>
            res({ code: code ?? (signal ? 128 : 255), stdout: "", stderr: this.display(stderr) }),
          );
        });
        resolve({ stdin: stream, stdout: stream, done });
      });
    });
  }

  /**
   * Writes a file so that readers see either the old content or the new, never a part:
   * a temporary file in the same directory, chmod/chown, then rename. The content goes
   * on stdin, so it never appears in a command line.
   */
  async upload(path: string, content: string | Buffer, opts: UploadOptions): Promise<void> {
    const { command, stdin } = uploadCommand(path, content, opts);
    await this.exec(command, { stdin });
  }

  /** Reads a file; null when it does not exist. */
  async readFile(path: string): Promise<Buffer | null> {
    const r = await this.exec(sh`if [ -e ${path} ]; then base64 < ${path}; else echo MMM-ABSENT; fi`);
    const text = r.stdout.trim();
    if (text === "MMM-ABSENT") return null;
    return Buffer.from(text.replace(/\s+/g, ""), "base64");
  }

  /**
   * A byte stream to a Unix socket on the host (the MySQL socket). As root, OpenSSH's
   * streamlocal forwarding; under sudo a relay process started with sudo, so the server sees a
   * root peer either way (Debian's root@localhost authenticates by unix_socket).
   */
  async openUnixSocket(path: string): Promise<Duplex> {
    const client = await this.connect();
    if (!this.target.become) {
      return new Promise((resolve, reject) => {
        client.openssh_forwardOutStreamLocal(path, (err, stream) =>
          err ? reject(this.#error(`cannot open ${path}: ${err.message}`, `streamlocal ${path}`)) : resolve(closeWithPeer(stream)),
        );
      });
    }
    const relay = sh`if command -v socat >/dev/null 2>&1; then exec socat STDIO UNIX-CONNECT:${path}; fi
exec python3 -c 'import socket,sys,threading
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
def up():
    while True:
        b=sys.stdin.buffer.read1(65536)
        if not b: break
        s.sendall(b)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=up,daemon=True).start()
while True:
    b=s.recv(65536)
    if not b: break
    sys.stdout.buffer.write(b); sys.stdout.buffer.flush()' ${path}`;
    return new Promise((resolve, reject) => {
      client.exec(`sudo -n -- sh -c ${quote(relay.text)}`, (err, stream: ClientChannel) =>
        err ? reject(this.#error(`cannot open ${path}: ${err.message}`, relay.text)) : resolve(closeWithPeer(stream)),
      );
    });
  }

  /** A TCP stream from the host to `host:port` as seen from there (direct-tcpip). */
  async forwardTcp(host: string, port: number): Promise<Duplex> {
    const client = await this.connect();
    return new Promise((resolve, reject) => {
      client.forwardOut("127.0.0.1", 0, host, port, (err, stream) =>
        err ? reject(this.#error(`cannot reach ${host}:${port}: ${err.message}`, `forward ${host}:${port}`)) : resolve(closeWithPeer(stream)),
      );
    });
  }

  close(): void {
    const pending = this.#client;
    this.#client = undefined;
    pending?.then((c) => c.end(), () => undefined);
    stopProxy(this.#proxy);
    this.#proxy = undefined;
  }

  #wrap(command: ShellCommand, timeoutMs: number): string {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const inner = `timeout --kill-after=5 ${seconds} env LC_ALL=C sh -c ${quote(command.text)}`;
    return this.target.become ? `sudo -n -- ${inner}` : inner;
  }

  #error(message: string, command: string, result?: ExecResult): RemoteError {
    const stderr = result ? this.display(lastLines(result.stderr || result.stdout, 12)) : undefined;
    return new RemoteError(this.host, message, {
      command: this.display(command),
      ...(result ? { exitCode: result.code } : {}),
      ...(stderr ? { stderr } : {}),
    });
  }

  async #open(): Promise<Client> {
    const t = this.target;
    const knownHostsFile = t.knownHostsFile ?? this.#opts.knownHostsFile ?? join(homedir(), ".ssh", "known_hosts");
    const name = hostKeyName(t.address, t.port);
    const known = existsSync(knownHostsFile) ? parseKnownHosts(readFileSync(knownHostsFile, "utf8")) : [];
    const preferred = knownKeyTypes(known, name).flatMap((k) => HOST_KEY_ALGORITHMS[k] ?? [k]);
    const allAlgorithms = Object.values(HOST_KEY_ALGORITHMS).flat();
    const serverHostKey = [...new Set([...preferred, ...allAlgorithms])];

    const config: ConnectConfig = {
      username: t.user,
      readyTimeout: t.connectTimeout * 1000,
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: serverHostKey as never },
      hostVerifier: (blob: Buffer) => this.#verifyHostKey(known, knownHostsFile, name, blob),
      authHandler: this.#authMethods(),
    };
    if (t.proxyCommand) {
      config.sock = this.#startProxy(t.proxyCommand);
    } else {
      config.host = t.address;
      config.port = t.port;
    }

    const client = new Client();
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      // ssh2 starts its own ready timer only once a TCP socket connects; through a ProxyCommand
      // nothing tells it so, and an unreachable host would hang until the proxy gives up.
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.close();
        client.end();
        reject(this.#connectError(Object.assign(new Error("Timed out while waiting for handshake"), { level: "client-timeout" })));
      }, t.connectTimeout * 1000);
      client.on("ready", () => {
        clearTimeout(timer);
        if (settled) return client.end();
        settled = true;
        resolve(client);
      });
      client.on("error", (err: Error & { level?: string; code?: string }) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        this.close();
        reject(this.#connectError(err));
      });
      client.on("close", () => {
        this.#client = undefined;
        stopProxy(this.#proxy);
      });
      client.connect(config);
    });
  }

  #verifyHostKey(
    known: ReturnType<typeof parseKnownHosts>,
    file: string,
    name: string,
    blob: Buffer,
  ): boolean {
    const keyType = keyTypeOfBlob(blob);
    const key = blob.toString("base64");
    const verdict: HostKeyVerdict = verifyHostKey(known, name, keyType, key);
    const fp = `${keyType} ${fingerprint(blob)}`;
    switch (verdict.kind) {
      case "match":
        return true;
      case "unknown":
        if (this.#opts.acceptNewHostKeys) {
          pinHostKey(file, name, keyType, key);
          return true;
        }
        this.#hostKeyProblem =
          `host key of ${name} is not in ${file} (${fp}). ` +
          `Check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), ` +
          `then re-run with --accept-new-host-keys to pin it`;
        return false;
      case "changed":
        this.#hostKeyProblem =
          `HOST KEY CHANGED for ${name}: it now presents ${fp}, which differs from ${file}:${verdict.lineNo}. ` +
          `This can mean an attack, or a reinstalled host; if you know why, remove the old key ` +
          `with: ssh-keygen -R ${quote(name)} -f ${quote(file)}`;
        return false;
      case "revoked":
        this.#hostKeyProblem = `host key of ${name} (${fp}) is marked @revoked in ${file}:${verdict.lineNo}`;
        return false;
    }
  }

  /** Explicit key first, else agent, else OpenSSH's default identity files. */
  #authMethods(): AuthenticationType[] | ConnectConfig["authHandler"] {
    const t = this.target;
    const methods: { type: "publickey" | "agent"; username: string; key?: Buffer; agent?: string }[] = [];
    const keyFiles = t.privateKeyFile
      ? [t.privateKeyFile]
      : ["id_ed25519", "id_ecdsa", "id_rsa"].map((f) => join(homedir(), ".ssh", f)).filter((f) => existsSync(f));
    for (const file of keyFiles) {
      let key: Buffer;
      try {
        key = readFileSync(file);
      } catch (err) {
        throw new RemoteError(this.host, `cannot read SSH private key ${file}: ${errorMessage(err)}`);
      }
      const parsed = utils.parseKey(key);
      if (parsed instanceof Error) {
        if (!t.privateKeyFile) continue;
        const why = /passphrase/i.test(parsed.message)
          ? "is encrypted: load it into ssh-agent (ssh-add) and unset ansible_ssh_private_key_file"
          : `cannot be used: ${parsed.message}`;
        throw new RemoteError(this.host, `SSH private key ${file} ${why}`);
      }
      methods.push({ type: "publickey", username: t.user, key });
    }
    if (process.env.SSH_AUTH_SOCK) methods.push({ type: "agent", username: t.user, agent: process.env.SSH_AUTH_SOCK });
    if (methods.length === 0) {
      throw new RemoteError(
        this.host,
        "no SSH credentials: set ansible_ssh_private_key_file, or start ssh-agent with your key loaded (SSH_AUTH_SOCK)",
      );
    }
    return methods as never;
  }

  #startProxy(template: string): Duplex {
    const t = this.target;
    const command = template.replace(/%(.)/g, (_, c: string) =>
      c === "h" ? t.address : c === "p" ? String(t.port) : c === "r" ? t.user : c === "%" ? "%" : `%${c}`,
    );
    // Its own process group, so that closing ends the whole proxy pipeline (sh, ip, nc), not just sh.
    const child = spawn("sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.#proxy = child;
    this.#proxyStderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      this.#proxyStderr = (this.#proxyStderr + d.toString()).slice(-2000);
    });
    child.on("error", () => undefined);
    const sock = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
    child.on("exit", (code) => {
      if (code) sock.destroy(new Error(`ProxyCommand exited ${code}`));
    });
    return sock;
  }

  #connectError(err: Error & { level?: string; code?: string }): RemoteError {
    const t = this.target;
    const where = `${t.user}@${t.address}:${t.port}${t.proxyCommand ? " via ProxyCommand" : ""}`;
    if (this.#hostKeyProblem) return new RemoteError(this.host, this.#hostKeyProblem);
    if (err.level === "client-authentication") {
      return new RemoteError(
        this.host,
        `SSH authentication as ${t.user} failed (${where}): the key ${t.privateKeyFile ?? "(agent/default keys)"} ` +
          `is not accepted; add its public key to ~${t.user}/.ssh/authorized_keys on the host`,
      );
    }
    if (err.level === "client-timeout" || /Timed out/i.test(err.message)) {
      return new RemoteError(this.host, `SSH connection to ${where} timed out after ${t.connectTimeout} s: is the host up and port ${t.port} open?`);
    }
    if (err.code === "ECONNREFUSED") {
      return new RemoteError(this.host, `SSH connection to ${where} refused: is sshd running on port ${t.port}?`);
    }
    const proxy = this.#proxyStderr.trim() ? ` (ProxyCommand: ${this.#proxyStderr.trim().split("\n").pop()})` : "";
    return new RemoteError(this.host, `SSH connection to ${where} failed: ${this.display(err.message)}${proxy}`);
  }
}

/**
 * The command and stdin that write a file atomically: a temporary file in the same directory,
 * checked against the content's SHA-256, chmod/chown, then rename. Readers see the old content or
 * the new, never a part; the content travels on stdin, never in a command line.
 */
/**
 * A forwarded channel is half-open by default: when the far end closes (a server that KILLs the
 * session), sshd sends EOF and waits for ours before it closes the channel, so 'close' — what
 * mysql2 waits for to fail a pending query — would never come. Ending our side on their EOF
 * closes the channel.
 */
function closeWithPeer(stream: ClientChannel): ClientChannel {
  stream.once("end", () => stream.end());
  return stream;
}

export function uploadCommand(path: string, content: string | Buffer, opts: UploadOptions): { command: ShellCommand; stdin: Buffer } {
  const mode = opts.mode.toString(8).padStart(4, "0");
  const chown = opts.owner ? sh`chown ${opts.owner} "$tmp" && ` : { text: "" };
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const sum = createHash("sha256").update(bytes).digest("hex");
  // If the controller dies mid-transfer, the channel closes and `cat` sees a clean EOF: the
  // checksum is what keeps a truncated file from being renamed into place.
  const script = sh`set -e
dir=$(dirname ${path})
mkdir -p "$dir"
tmp=$(mktemp "$dir/.mmm-upload.XXXXXX")
trap 'rm -f "$tmp"' EXIT INT TERM HUP
umask 077
cat > "$tmp"
[ "$(sha256sum < "$tmp" | cut -d ' ' -f 1)" = ${sum} ] || { echo "the upload arrived incomplete; the file was left as it was" >&2; exit 1; }
chmod ${mode} "$tmp"
${chown}mv -f "$tmp" ${path}
trap - EXIT`;
  return { command: script, stdin: bytes };
}

function stopProxy(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // The group is already gone.
  }
}

function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split("\n");
  return lines.slice(-n).join("\n");
}

/** Appends a newly accepted key once, creating the file 0600 in a 0700 directory if needed. */
function pinHostKey(file: string, name: string, keyType: string, key: string): void {
  const current = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (verifyHostKey(parseKnownHosts(current), name, keyType, key).kind === "match") return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sep = current === "" || current.endsWith("\n") ? "" : "\n";
  appendFileSync(file, `${sep}${formatKnownHost(name, keyType, key)}\n`, { mode: 0o600 });
}
