import { Secret } from "../secret.js";
import { InternalError } from "../errors.js";

/**
 * Shell commands are built only through the `sh` tagged template: every interpolated value is
 * single-quoted, so no value can change the command's structure. Secrets are refused outright —
 * a command line is visible to every user of the host in `ps`; secrets travel on stdin or in 0600 files.
 */
export interface ShellCommand {
  readonly text: string;
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for a POSIX shell. */
export function quote(value: string): string {
  if (value.length > 0 && SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A fragment that is inserted verbatim: only for text written in our own source, never for data. */
export class Raw {
  constructor(readonly text: string) {}
}
export const raw = (text: string): Raw => new Raw(text);

type Value = string | number | Raw | ShellCommand | readonly (string | number)[];

function render(value: Value): string {
  if (value instanceof Secret) throw new InternalError("a secret was interpolated into a shell command");
  if (value instanceof Raw) return value.text;
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return quote(value);
  if (Array.isArray(value)) return value.map((v) => render(v)).join(" ");
  return (value as ShellCommand).text;
}

export function sh(strings: TemplateStringsArray, ...values: Value[]): ShellCommand {
  let text = strings[0] ?? "";
  values.forEach((v, i) => {
    text += render(v) + (strings[i + 1] ?? "");
  });
  return { text };
}

/** Joins an argv into one command, each word quoted. */
export function argv(words: readonly string[]): ShellCommand {
  return { text: words.map(quote).join(" ") };
}
