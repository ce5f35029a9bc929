/**
 * A block of lines mmm owns inside a file it shares with others (/etc/hosts): between two
 * marker lines, replaced whole; every line outside the markers is kept as it was.
 */
export const BLOCK_BEGIN = "# BEGIN mmm managed block";
export const BLOCK_END = "# END mmm managed block";

export function replaceManagedBlock(text: string, lines: readonly string[]): string {
  const block = [BLOCK_BEGIN, ...lines, BLOCK_END].join("\n");
  const all = text.split("\n");
  const b = all.indexOf(BLOCK_BEGIN);
  const e = all.indexOf(BLOCK_END, b + 1);
  if (b >= 0 && e > b) {
    return [...all.slice(0, b), block, ...all.slice(e + 1)].join("\n");
  }
  const body = text === "" || text.endsWith("\n") ? text : `${text}\n`;
  return `${body}${block}\n`;
}
