import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import {
  fingerprint,
  hostKeyName,
  keyTypeOfBlob,
  knownKeyTypes,
  matchesPatterns,
  parseKnownHosts,
  verifyHostKey,
} from "../../src/remote/known-hosts.js";

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}
const KEY_A = blob("ssh-ed25519", "AAAA").toString("base64");
const KEY_B = blob("ssh-ed25519", "BBBB").toString("base64");
const KEY_C = blob("ssh-ed25519", "CCCC").toString("base64");
const KEY_RSA = blob("ssh-rsa", "RRRR").toString("base64");

function hashed(name: string): string {
  const salt = Buffer.from("0123456789abcdefghij");
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
}

const FILE = [
  "# comment",
  `192.168.77.2 ssh-ed25519 ${KEY_A}`,
  `[192.168.77.3]:2222 ssh-ed25519 ${KEY_A}`,
  `${hashed("db9")} ssh-ed25519 ${KEY_B}`,
  `*.example.com,!bad.example.com ssh-rsa ${KEY_RSA}`,
  `@revoked * ssh-ed25519 ${KEY_C}`,
  `@cert-authority *.corp ssh-ed25519 ${KEY_A}`,
  "garbage",
].join("\n");

describe("known_hosts", () => {
  const lines = parseKnownHosts(FILE);

  it("parses entries with markers and skips comments and malformed lines", () => {
    expect(lines.map((l) => l.lineNo)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(lines[4]!.marker).toBe("revoked");
  });

  it("looks hosts up as OpenSSH names them", () => {
    expect(hostKeyName("10.0.0.1", 22)).toBe("10.0.0.1");
    expect(hostKeyName("10.0.0.1", 2222)).toBe("[10.0.0.1]:2222");
  });

  it.each([
    ["192.168.77.2", "ssh-ed25519", KEY_A, "match"],
    ["192.168.77.2", "ssh-ed25519", KEY_B, "changed"],
    ["192.168.77.3", "ssh-ed25519", KEY_A, "unknown"],
    ["[192.168.77.3]:2222", "ssh-ed25519", KEY_A, "match"],
    ["db9", "ssh-ed25519", KEY_B, "match"],
    ["db9", "ssh-ed25519", KEY_A, "changed"],
    ["x.example.com", "ssh-rsa", KEY_RSA, "match"],
    ["bad.example.com", "ssh-rsa", KEY_RSA, "unknown"],
    ["new.corp", "ssh-ed25519", KEY_A, "unknown"],
  ])("%s presenting %s key → %s", (name, type, key, verdict) => {
    expect(verifyHostKey(lines, name, type, key).kind).toBe(verdict);
  });

  it("refuses a revoked key even for an unknown host", () => {
    expect(verifyHostKey(lines, "anything", "ssh-ed25519", KEY_C).kind).toBe("revoked");
  });

  it("matches wildcards and negations", () => {
    expect(matchesPatterns("db?,10.0.0.*", "db1")).toBe(true);
    expect(matchesPatterns("db?,10.0.0.*", "db10")).toBe(false);
    expect(matchesPatterns("*,!db2", "db2")).toBe(false);
  });

  it("lists the key types known for a host, to offer them first", () => {
    expect(knownKeyTypes(lines, "x.example.com")).toEqual(["ssh-rsa"]);
  });

  it("computes OpenSSH's SHA256 fingerprint and reads the type from the blob", () => {
    const b = blob("ssh-ed25519", "AAAA");
    expect(keyTypeOfBlob(b)).toBe("ssh-ed25519");
    expect(fingerprint(b)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
