/**
 * Edit distance with adjacent transpositions (optimal string alignment): "mmm_peeer" and
 * "mmm_pere" are both one edit from "mmm_peer", which is how typos actually happen.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word` within `maxDistance` edits (first listed wins a tie). */
export function closest(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist <= maxDistance && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** " (did you mean x?)" or "". */
export function didYouMean(word: string, candidates: Iterable<string>, maxDistance = 2): string {
  const c = closest(word, candidates, maxDistance);
  return c === undefined ? "" : ` (did you mean ${c}?)`;
}
