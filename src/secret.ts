import { inspect } from "node:util";

/**
 * A value that must never be printed or logged. Every way of turning it into text
 * (String(), JSON, util.inspect, template literals) yields "***"; only `reveal()` gives
 * the value, and only code that hands it to a protocol (MySQL auth, a 0600 file) calls it.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "***";
  }
  toJSON(): string {
    return "***";
  }
  [inspect.custom](): string {
    return "***";
  }
}

/** Replaces every occurrence of each secret's value in `text` with "***". */
export function maskSecrets(text: string, secrets: Iterable<Secret>): string {
  let out = text;
  for (const s of secrets) {
    const v = s.reveal();
    if (v.length > 0) out = out.split(v).join("***");
  }
  return out;
}
