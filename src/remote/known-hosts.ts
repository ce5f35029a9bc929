import { createHash, createHmac } from "node:crypto";

/**
 * OpenSSH known_hosts semantics, pure: parse the file's text, look a host up, format a new line.
 * Supports plain and hashed (|1|salt|hash) names, `[host]:port`, wildcards, negation and the
 * @revoked marker. @cert-authority lines are ignored (mmm does not verify host certificates).
 */
export interface KnownHostLine {
  readonly lineNo: number;
  readonly marker?: "revoked" | "cert-authority";
  readonly patterns: string;
  readonly keyType: string;
  readonly key: string; // base64 blob
}

export type HostKeyVerdict =
  | { readonly kind: "match"; readonly lineNo: number }
  | { readonly kind: "unknown" }
  | { readonly kind: "changed"; readonly lineNo: number; readonly knownType: string }
  | { readonly kind: "revoked"; readonly lineNo: number };

export function parseKnownHosts(text: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  text.split("\n").forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) return;
    const words = line.split(/\s+/);
    let marker: KnownHostLine["marker"];
    if (words[0]?.startsWith("@")) {
      const m = words.shift()!.slice(1);
      if (m !== "revoked" && m !== "cert-authority") return;
      marker = m;
    }
    const [patterns, keyType, key] = words;
    if (!patterns || !keyType || !key) return;
    out.push({ lineNo: i + 1, ...(marker ? { marker } : {}), patterns, keyType, key });
  });
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

function matchesHashed(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split("|");
  if (magic !== "1" || !salt || !hash) return false;
  const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
  return mac === hash;
}

/** True when `patterns` (a comma list) matches `name`; a matching negation wins. */
export function matchesPatterns(patterns: string, name: string): boolean {
  if (patterns.startsWith("|")) return matchesHashed(patterns, name);
  let matched = false;
  for (const p of patterns.split(",")) {
    if (p.startsWith("!")) {
      if (globToRegExp(p.slice(1)).test(name)) return false;
    } else if (globToRegExp(p).test(name)) {
      matched = true;
    }
  }
  return matched;
}

/**
 * Judges a presented key. As in OpenSSH: a revoked key is refused; any line for the host with the
 * same key accepts; lines for the host of the same type but another key mean the key changed.
 */
export function verifyHostKey(
  lines: readonly KnownHostLine[],
  name: string,
  keyType: string,
  key: string,
): HostKeyVerdict {
  const mine = lines.filter((l) => l.marker !== "cert-authority" && matchesPatterns(l.patterns, name));
  const revoked = lines.find((l) => l.marker === "revoked" && l.key === key);
  if (revoked) return { kind: "revoked", lineNo: revoked.lineNo };
  const same = mine.find((l) => !l.marker && l.key === key);
  if (same) return { kind: "match", lineNo: same.lineNo };
  const other = mine.find((l) => !l.marker && l.keyType === keyType) ?? mine.find((l) => !l.marker);
  if (other) return { kind: "changed", lineNo: other.lineNo, knownType: other.keyType };
  return { kind: "unknown" };
}

/** The key types known for a host, so the client can prefer them (as OpenSSH orders HostKeyAlgorithms). */
export function knownKeyTypes(lines: readonly KnownHostLine[], name: string): string[] {
  return [...new Set(lines.filter((l) => !l.marker && matchesPatterns(l.patterns, name)).map((l) => l.keyType))];
}

export function formatKnownHost(name: string, keyType: string, key: string): string {
  return `${name} ${keyType} ${key}`;
}

/** OpenSSH's SHA256 fingerprint of a key blob: `SHA256:` + unpadded base64. */
export function fingerprint(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type stored at the start of an SSH public key blob (a length-prefixed string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return "unknown";
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString("ascii");
}
