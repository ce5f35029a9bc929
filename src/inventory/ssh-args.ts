/**
 * The parts of ansible_ssh_common_args / ansible_ssh_extra_args that mmm honours. They are
 * command-line words for ssh, so they are split as a POSIX shell would (quotes and backslashes),
 * then `-o Key=Value`, `-o "Key Value"` and `-oKey=Value` are read.
 */
export function splitShellWords(text: string): string[] | { error: string } {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { error: "unterminated ' quote" };
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return { error: 'unterminated " quote' };
        const d = text[i]!;
        if (d === '"') break;
        if (d === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
          cur += text[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === "\\") {
      if (i + 1 < text.length) cur += text[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** An `-o` option as ssh reads it: keyword (case-insensitive) then `=` or whitespace then value. */
export interface SshOption {
  readonly key: string;
  readonly value: string;
}

export interface SshArgs {
  readonly options: readonly SshOption[];
  /** Flags we refuse because ignoring them would connect somewhere else (e.g. -J). */
  readonly unsupported: readonly string[];
}

export function parseSshArgs(text: string): SshArgs | { error: string } {
  const words = splitShellWords(text);
  if (!Array.isArray(words)) return words;
  const options: SshOption[] = [];
  const unsupported: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    let opt: string | undefined;
    if (w === "-o") {
      opt = words[++i];
      if (opt === undefined) return { error: "-o at the end needs an option" };
    } else if (w.startsWith("-o")) {
      opt = w.slice(2);
    } else if (w === "-J" || w.startsWith("-J")) {
      unsupported.push("-J");
      if (w === "-J") i++;
      continue;
    } else {
      continue;
    }
    const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/s.exec(opt);
    if (!m) return { error: `-o ${opt}: expected Key=Value` };
    const key = m[1]!;
    if (key.toLowerCase() === "proxyjump") unsupported.push("ProxyJump");
    options.push({ key, value: m[2]!.trim() });
  }
  return { options, unsupported };
}

/** ssh uses the first value it obtains for each keyword. */
export function firstOption(args: readonly SshArgs[], key: string): string | undefined {
  for (const a of args) for (const o of a.options) if (o.key.toLowerCase() === key.toLowerCase()) return o.value;
  return undefined;
}
