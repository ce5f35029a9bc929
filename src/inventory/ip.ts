import { isIPv6 } from "node:net";

/** Dotted-quad IPv4 → 32-bit number, or undefined. Leading zeros are refused (ambiguous: octal to some tools). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The network address of `ip`/`prefix` (as a number). */
export function networkOf(ip: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(ip / size) * size;
}

export function broadcastOf(ip: number, prefix: number): number {
  return networkOf(ip, prefix) + 2 ** (32 - prefix) - 1;
}

/** Text that is meant as an IP literal: all digits and dots (v4) or containing a colon (v6). */
export function looksLikeIp(text: string): boolean {
  return /^[0-9.]+$/.test(text) || text.includes(":");
}

export function isIpLiteral(text: string): boolean {
  return isIpv4(text) || isIPv6(text);
}

/** RFC 1123 host name (underscores tolerated: they occur in real inventories). */
export function isHostName(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  return text
    .replace(/\.$/, "")
    .split(".")
    .every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label));
}

/** An address as ansible_host may give it: an IP literal or a host name; an invalid IP is neither. */
export function addressProblem(text: string): string | undefined {
  if (looksLikeIp(text)) return isIpLiteral(text) ? undefined : `${JSON.stringify(text)} is not a valid IP address`;
  return isHostName(text) ? undefined : `${JSON.stringify(text)} is neither an IP address nor a host name`;
}
