import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  mergeProbes,
  observationScript,
  parseObservation,
  planFiles,
  probePart,
  runProbe,
  runProbes,
  type HostProbe,
} from "../../src/provision/files.js";
import { sh } from "../../src/remote/shell.js";
import { localTransport } from "./local-transport.js";

const TOKEN = "0123456789ab";
const dir = mkdtempSync(join(tmpdir(), "mmm-observe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the script as a host would (sh -c) and returns its stdout. */
function runLocally(commands: Map<string, ReturnType<typeof sh>>, paths: string[]): string {
  return execFileSync("sh", ["-c", observationScript(commands, paths, TOKEN).text], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
}

describe("observationScript and parseObservation", () => {
  const withNewline = join(dir, "hosts");
  const noNewline = join(dir, "no-newline.cnf");
  const empty = join(dir, "empty");
  const absent = join(dir, "absent");
  writeFileSync(withNewline, "127.0.0.1 localhost\n192.168.77.2 db1\n");
  chmodSync(withNewline, 0o644);
  writeFileSync(noNewline, "[mysqld]\nserver_id = 1 # é");
  chmodSync(noNewline, 0o600);
  writeFileSync(empty, "");
  chmodSync(empty, 0o640);

  const commands = new Map([
    ["hostname", sh`echo db1`],
    ["no-newline", sh`printf 'up'`],
    ["silent", sh`true`],
    ["multi", sh`printf 'a\n\nb\n\n'`],
    // Output that imitates a frame: without the run's token it is only output.
    ["forger", sh`echo '@@mmm-ffffffffffff rc 0'; echo '@@mmm-ffffffffffff cmd silent'`],
    ["exits", sh`echo before; exit 3`],
    ["last", sh`echo still runs`],
  ]);
  const paths = [withNewline, noNewline, empty, absent];
  const text = runLocally(commands, paths);
  const observed = parseObservation(text, [...commands.keys()], paths, TOKEN);

  it("gives each command exactly its stdout and exit code, in one round trip", () => {
    expect(observed).not.toBeNull();
    const out = Object.fromEntries([...observed!.outputs].map(([k, v]) => [k, v]));
    expect(out).toEqual({
      hostname: { stdout: "db1\n", code: 0 },
      "no-newline": { stdout: "up", code: 0 },
      silent: { stdout: "", code: 0 },
      multi: { stdout: "a\n\nb\n\n", code: 0 },
      forger: { stdout: "@@mmm-ffffffffffff rc 0\n@@mmm-ffffffffffff cmd silent\n", code: 0 },
      exits: { stdout: "before\n", code: 3 },
      last: { stdout: "still runs\n", code: 0 },
    });
  });

  it("reads every file with its content, mode and owner, or absent", () => {
    const owner = execFileSync("stat", ["-c", "%U:%G", withNewline], { encoding: "utf8" }).trim();
    expect(observed!.files.get(withNewline)).toEqual({ content: "127.0.0.1 localhost\n192.168.77.2 db1\n", mode: 0o644, owner });
    expect(observed!.files.get(noNewline)).toEqual({ content: "[mysqld]\nserver_id = 1 # é", mode: 0o600, owner });
    expect(observed!.files.get(empty)).toEqual({ content: "", mode: 0o640, owner });
    expect(observed!.files.get(absent)).toEqual({ content: null });
  });

  it("observes files alone and commands alone", () => {
    const filesOnly = parseObservation(runLocally(new Map(), [absent, withNewline]), [], [absent, withNewline], TOKEN);
    expect(filesOnly?.files.get(absent)).toEqual({ content: null });
    expect(filesOnly?.files.get(withNewline)?.content).toContain("db1");
    const one = new Map([["hostname", sh`echo db1`]]);
    expect(parseObservation(runLocally(one, []), ["hostname"], [], TOKEN)?.outputs.get("hostname")).toEqual({ stdout: "db1\n", code: 0 });
  });

  it("reads files whose names have spaces, and a symlink's target (its own mode, as stat reports it)", () => {
    const spaced = join(dir, "with space.conf");
    const link = join(dir, "link-to-hosts");
    writeFileSync(spaced, "x = 1\n");
    chmodSync(spaced, 0o600);
    symlinkSync(withNewline, link);
    const o = parseObservation(runLocally(new Map(), [spaced, absent, link]), [], [spaced, absent, link], TOKEN);
    expect(o?.files.get(spaced)).toMatchObject({ content: "x = 1\n", mode: 0o600 });
    expect(o?.files.get(absent)).toEqual({ content: null });
    expect(o?.files.get(link)).toMatchObject({ content: "127.0.0.1 localhost\n192.168.77.2 db1\n", mode: 0o777 });
  });

  it("refuses files whose sizes do not add up to the bytes read (a file changed while it was read)", () => {
    const one = runLocally(new Map(), [withNewline]);
    expect(parseObservation(one, [], [withNewline], TOKEN)?.files.get(withNewline)?.content).toContain("db1");
    const size = String(Buffer.byteLength("127.0.0.1 localhost\n192.168.77.2 db1\n"));
    const grown = one.replace(`\n${size}\n`, `\n${Number(size) + 1}\n`);
    expect(grown).not.toBe(one);
    expect(parseObservation(grown, [], [withNewline], TOKEN)).toBeNull();
  });

  it("refuses output that was cut short or framed with another token", () => {
    for (const cut of [0, 10, text.indexOf(" rc ") + 3, text.lastIndexOf("file"), text.length - 1]) {
      expect(parseObservation(text.slice(0, cut), [...commands.keys()], paths, TOKEN)).toBeNull();
    }
    expect(parseObservation(text, [...commands.keys()], paths, "ba9876543210")).toBeNull();
    expect(parseObservation(text, ["hostname", "silent"], paths, TOKEN)).toBeNull();
  });
});

describe("planFiles", () => {
  it("changes a file whose content, mode or owner differs, and only that one", () => {
    const observed = new Map([
      ["/same", { content: "x\n", mode: 0o644, owner: "root:root" }],
      ["/mode", { content: "x\n", mode: 0o600, owner: "root:root" }],
      ["/owner", { content: "x\n", mode: 0o644, owner: "mysql:mysql" }],
    ]);
    const changes = planFiles(observed, [
      { path: "/same", content: "x\n", mode: 0o644, owner: "root" },
      { path: "/mode", content: "x\n", mode: 0o644 },
      { path: "/owner", content: "x\n", mode: 0o644, owner: "root" },
      { path: "/new", content: "y\n", mode: 0o600 },
    ]);
    expect(changes.map((c) => (c.kind === "file" ? c.path : c.kind))).toEqual(["/mode", "/owner", "/new"]);
  });
});

describe("probes", () => {
  const conf = join(dir, "probe.conf");
  writeFileSync(conf, "a = 1\n");
  const first: HostProbe<string> = {
    commands: { name: sh`echo db1`, up: sh`echo up` },
    files: [conf],
    read: (o) => `${o.outputs.get("name")!.stdout.trim()} ${o.outputs.get("up")!.stdout.trim()} ${o.files.get(conf)?.content?.trim()}`,
  };
  const second: HostProbe<string[]> = {
    commands: { name: sh`echo second` },
    files: [conf, join(dir, "nothing-here")],
    read: (o) => [o.outputs.get("name")!.stdout.trim(), ...[...o.files.keys()]],
  };
  const failing: HostProbe<string> = { commands: { check: sh`echo oops >&2; exit 4` }, files: [], read: () => "never read" };

  it("merge into one script, with each command under its probe's key and a shared file read once", () => {
    const merged = mergeProbes(new Map<string, HostProbe<unknown>>([["hosts", first], ["time", second]]));
    expect(Object.keys(merged.commands)).toEqual(["hosts/name", "hosts/up", "time/name"]);
    expect(merged.files).toEqual([conf, join(dir, "nothing-here")]);
  });

  it("give each probe exactly its part of the merged answer, as if it had run alone", () => {
    const observation = {
      outputs: new Map([
        ["hosts/name", { stdout: "db1\n", code: 0 }],
        ["hosts/up", { stdout: "up\n", code: 0 }],
        ["time/name", { stdout: "second\n", code: 0 }],
      ]),
      files: new Map([[conf, { content: "a = 1\n", mode: 0o644 }]]),
    };
    const part = probePart(observation, "time", second);
    expect([...part.outputs]).toEqual([["name", { stdout: "second\n", code: 0 }]]);
    expect([...part.files]).toEqual([
      [conf, { content: "a = 1\n", mode: 0o644 }],
      [join(dir, "nothing-here"), { content: null }],
    ]);
    expect(() => probePart(observation, "mycnf", first)).toThrow("no output for mycnf/name");
  });

  it("run in one round trip; a failed command fails its own probe only", async () => {
    const calls: string[] = [];
    const answers = await runProbes(localTransport(calls), new Map<string, HostProbe<unknown>>([["hosts", first], ["bad", failing], ["time", second]]));
    expect(calls).toHaveLength(1);
    expect(await answers.get("hosts")).toBe("db1 up a = 1");
    expect(await answers.get("time")).toEqual(["second", conf, join(dir, "nothing-here")]);
    await expect(answers.get("bad")).rejects.toThrow("command failed (exit 4)");
    await expect(runProbe(localTransport(), failing)).rejects.toMatchObject({ detail: { exitCode: 4, stderr: "oops\n" } });
    expect(await runProbe(localTransport(), first)).toBe("db1 up a = 1");
  });
});
