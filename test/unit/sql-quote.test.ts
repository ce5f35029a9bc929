import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import {
  databaseFromGrantPattern,
  grantDatabasePattern,
  quoteAccount,
  quoteIdentifier,
  quoteString,
  sqlDecimal,
  sqlInteger,
} from "../../src/sql/quote.js";

const backslashOn = { noBackslashEscapes: false };
const backslashOff = { noBackslashEscapes: true };

describe("quoteString", () => {
  // Expected literals were checked against MariaDB 10.11: each creates an account whose password
  // logs in exactly, in both sql_modes.
  it.each([
    ["plain", "'plain'", "'plain'"],
    ["", "''", "''"],
    ["it's", "'it''s'", "'it''s'"],
    ["''", "''''''", "''''''"],
    ['say "hi"', `'say "hi"'`, `'say "hi"'`],
    ["back\\slash", "'back\\\\slash'", "'back\\slash'"],
    ["ends\\", "'ends\\\\'", "'ends\\'"],
    ["\\'", "'\\\\'''", "'\\'''"],
    ["x'; DROP USER root; --", "'x''; DROP USER root; --'", "'x''; DROP USER root; --'"],
    ["50%_off", "'50%_off'", "'50%_off'"],
    ["ünïcödé ✓ 中文 😀", "'ünïcödé ✓ 中文 😀'", "'ünïcödé ✓ 中文 😀'"],
    ["line\nbreak\ttab", "'line\nbreak\ttab'", "'line\nbreak\ttab'"],
    ["a?b", "'a?b'", "'a?b'"],
  ])("quotes %j", (value, withEscapes, noEscapes) => {
    expect(quoteString(value, backslashOn)).toBe(withEscapes);
    expect(quoteString(value, backslashOff)).toBe(noEscapes);
  });

  it("never lets a quote end the literal early in either mode", () => {
    for (const v of ["'", "\\'", "\\\\'", "a\\", "''\\''"]) {
      for (const opts of [backslashOn, backslashOff]) {
        const q = quoteString(v, opts);
        // Scan the literal as the server would and check it ends exactly at the last character.
        let i = 1;
        while (i < q.length) {
          if (!opts.noBackslashEscapes && q[i] === "\\") i += 2;
          else if (q[i] === "'" && q[i + 1] === "'") i += 2;
          else if (q[i] === "'") break;
          else i++;
        }
        expect(i).toBe(q.length - 1);
      }
    }
  });

  it("refuses NUL and names the value without printing it", () => {
    expect(() => quoteString("a\u0000b", backslashOn, "password of repl")).toThrow(ConfigError);
    expect(() => quoteString("a\u0000b", backslashOn, "password of repl")).toThrow(/password of repl contains a NUL/);
  });
});

describe("quoteIdentifier", () => {
  it.each([
    ["shop", "`shop`"],
    ["my_app", "`my_app`"],
    ["a`b", "`a``b`"],
    ["back\\slash", "`back\\slash`"],
    ["it's", "`it's`"],
    ["ünï", "`ünï`"],
    ["50%", "`50%`"],
  ])("quotes %j as %s", (name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
  });

  it.each([
    ["", /database name is empty/],
    ["x".repeat(65), /longer than 64/],
    ["trailing ", /ends with whitespace/],
    ["nul\u0000", /NUL/],
    ["emoji😀", /beyond U\+FFFF/],
  ])("refuses %j", (name, message) => {
    expect(() => quoteIdentifier(name, "database name")).toThrow(message);
  });

  it("counts characters, not UTF-16 units or bytes, against the 64 limit", () => {
    expect(quoteIdentifier("é".repeat(64))).toBe("`" + "é".repeat(64) + "`");
  });
});

describe("quoteAccount", () => {
  it.each([
    [{ user: "repl", host: "10.0.0.%" }, "`repl`@`10.0.0.%`"],
    [{ user: "mmm_agent", host: "%" }, "`mmm_agent`@`%`"],
    [{ user: "q'u\\o\"te", host: "h_%" }, "`q'u\\o\"te`@`h_%`"],
    [{ user: "b`t", host: "localhost" }, "`b``t`@`localhost`"],
    [{ user: "ünï", host: "db1.example.com" }, "`ünï`@`db1.example.com`"],
  ])("quotes %j with backticks (sql_mode-independent)", (account, quoted) => {
    expect(quoteAccount(account)).toBe(quoted);
  });

  it.each([
    [{ user: "", host: "%" }, /anonymous/],
    [{ user: "repl", host: "" }, /empty host.*'%'/],
    [{ user: "re\u0000pl", host: "%" }, /NUL/],
    [{ user: "repl", host: "h".repeat(256) }, /255/],
    [{ user: "😀", host: "%" }, /beyond U\+FFFF/],
  ])("refuses %j", (account, message) => {
    expect(() => quoteAccount(account)).toThrow(message);
  });
});

describe("grant database patterns", () => {
  it.each([
    ["shop", "shop"],
    ["my_app", "my\\_app"],
    ["50%", "50\\%"],
    ["a\\b", "a\\\\b"],
  ])("escapes the LIKE wildcards of %j", (name, pattern) => {
    expect(grantDatabasePattern(name, { partialRevokes: false })).toBe(pattern);
    expect(databaseFromGrantPattern(pattern, { partialRevokes: false })).toBe(name);
  });

  it("leaves names alone under partial_revokes, where the server reads them literally", () => {
    expect(grantDatabasePattern("my_app", { partialRevokes: true })).toBe("my_app");
  });

  it("says a pattern with a live wildcard is no single database", () => {
    expect(databaseFromGrantPattern("my_app", { partialRevokes: false })).toBeUndefined();
  });
});

describe("numbers", () => {
  it("accepts whole numbers and refuses the rest", () => {
    expect(sqlInteger(3306)).toBe("3306");
    expect(() => sqlInteger(-1, "port")).toThrow(/port must be a whole number/);
    expect(() => sqlInteger(1.5)).toThrow(ConfigError);
    expect(() => sqlInteger(Number.NaN)).toThrow(ConfigError);
  });
  it("writes decimals without exponent or trailing zeros", () => {
    expect(sqlDecimal(0.5)).toBe("0.5");
    expect(sqlDecimal(2)).toBe("2");
    expect(sqlDecimal(1e-7)).toBe("0");
    expect(sqlDecimal(0.25)).toBe("0.25");
    expect(() => sqlDecimal(Infinity)).toThrow(ConfigError);
  });
});
