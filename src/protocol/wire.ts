import { createServer, connect, type Server, type Socket } from "node:net";
import { open, seal, ReplayGuard, type Envelope } from "./envelope.js";

/**
 * Request/response over TCP, one signed JSON envelope per line each way. The responder signs
 * its answer to the requester with the request's nonce echoed in the body, so a client can
 * tell its answer from a replayed one.
 */
export interface Peer {
  readonly name: string;
  readonly secret: Buffer;
  /** Defaults to Date.now; tests pass a clock. */
  readonly now?: () => number;
  readonly maxSkewMs?: number;
  readonly log?: (line: string) => void;
}

export const DEFAULT_MAX_SKEW_MS = 5_000;
const MAX_LINE = 1 << 20;

export type Handler = (body: unknown, from: string) => Promise<unknown>;

export function serve(peer: Peer, port: number, host: string, handler: Handler): Promise<Server> {
  const now = peer.now ?? Date.now;
  const maxSkewMs = peer.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const replay = new ReplayGuard(maxSkewMs);
  const server = createServer((sock) => {
    readLines(sock, async (line) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        peer.log?.(`refused a message from ${sock.remoteAddress}: not JSON`);
        return sock.destroy();
      }
      const r = open(peer.secret, raw, { self: peer.name, now: now(), maxSkewMs, replay });
      if (!r.ok) {
        peer.log?.(`refused a message from ${sock.remoteAddress}: ${r.reason}`);
        return sock.destroy();
      }
      let answer: unknown;
      try {
        answer = { ok: true, result: await handler(r.envelope.body, r.envelope.from) };
      } catch (err) {
        answer = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      const reply = seal(peer.secret, peer.name, r.envelope.from, { re: r.envelope.nonce, ...(answer as object) }, now());
      sock.write(`${JSON.stringify(reply)}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

export class RequestError extends Error {
  /**
   * Whether the request may have reached the other side: false only when the TCP connection was
   * never established, since nothing written to a socket leaves before its handshake completes.
   */
  constructor(message: string, readonly sent: boolean) {
    super(message);
  }
}

/**
 * Sends one request and waits, bounded, for its signed answer. `unsentBy` withdraws the request
 * if its connection has not opened when it fires (the request then certainly never left).
 */
export function request(peer: Peer, to: string, address: string, port: number, body: unknown, timeoutMs: number, unsentBy?: AbortSignal): Promise<unknown> {
  const now = peer.now ?? Date.now;
  const maxSkewMs = peer.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const msg: Envelope = seal(peer.secret, peer.name, to, body, now());
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host: address, port });
    let connected = false;
    sock.once("connect", () => (connected = true));
    const fail = (message: string) => new RequestError(`${to}${message}`, connected);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(fail(` (${address}:${port}) ${connected ? "did not answer" : "could not be reached"} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(fail(` (${address}:${port}): ${err.message}`));
    });
    unsentBy?.addEventListener(
      "abort",
      () => {
        if (connected) return;
        clearTimeout(timer);
        sock.destroy();
        reject(fail(` (${address}:${port}) could not be reached in time: not sent`));
      },
      { once: true },
    );
    sock.once("close", () => {
      clearTimeout(timer);
      reject(fail(` (${address}:${port}) closed the connection without an answer (wrong cluster secret?)`));
    });
    sock.write(`${JSON.stringify(msg)}\n`);
    readLines(sock, async (line) => {
      clearTimeout(timer);
      sock.end();
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        return reject(fail(": answer is not JSON"));
      }
      const r = open(peer.secret, raw, { self: peer.name, now: now(), maxSkewMs, replay: new ReplayGuard(maxSkewMs) });
      if (!r.ok) return reject(fail(`: answer refused: ${r.reason}`));
      const b = r.envelope.body as { re?: string; ok?: boolean; result?: unknown; error?: string };
      if (b.re !== msg.nonce) return reject(fail(": answer is for another request"));
      if (!b.ok) return reject(fail(`: ${b.error ?? "failed"}`));
      resolve(b.result);
    });
  });
}

function readLines(sock: Socket, onLine: (line: string) => void): void {
  let buf = "";
  sock.setEncoding("utf8");
  sock.on("data", (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE) return sock.destroy();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) onLine(line);
    }
  });
}
