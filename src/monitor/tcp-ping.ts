import { connect } from "node:net";

/**
 * MMM's ping check without ICMP: a TCP connect to the host's agent port. An accepted connection
 * or a refusal (RST) both prove the host's kernel answers; a timeout or an unreachable route is
 * a failed ping. This needs no raw socket or ping binary and never spawns a process per check.
 */
/** `silent`: no answer in time (not a refusal or an unreachable route). */
export type TcpPingResult = { readonly ok: true } | { readonly ok: false; readonly cause: string; readonly silent?: boolean };

export function tcpPing(ip: string, port: number, timeoutMs: number): Promise<TcpPingResult> {
  return new Promise((resolve) => {
    const sock = connect({ host: ip, port });
    const done = (r: TcpPingResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, cause: `no answer within ${timeoutMs / 1000} s`, silent: true }), timeoutMs);
    sock.once("connect", () => done({ ok: true }));
    sock.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED") done({ ok: true });
      else done({ ok: false, cause: err.code === "EHOSTUNREACH" ? "host unreachable" : err.code === "ENETUNREACH" ? "network unreachable" : err.message });
    });
  });
}
