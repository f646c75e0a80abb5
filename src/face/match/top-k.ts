// The k best of n scores without sorting all n: the search index's last step over faces or people.
/**
 * Indices of the k largest of scores[0..n) (skipping those `keep` rejects), best first.
 * One pass with a small sorted buffer: O(n) comparisons against the current k-th best.
 */
export function topK(scores: ArrayLike<number>, n: number, k: number, keep?: (index: number) => boolean): { index: number; score: number }[] {
  const bestScore = new Float64Array(k).fill(-Infinity);
  const bestIndex = new Int32Array(k).fill(-1);
  let floor = -Infinity;
  let filled = 0;
  for (let i = 0; i < n; i++) {
    const score = scores[i]!;
    if (!(score > floor) && filled === k) continue; // also skips NaN
    if (Number.isNaN(score) || (keep && !keep(i))) continue;
    let at = Math.min(filled, k - 1);
    while (at > 0 && bestScore[at - 1]! < score) {
      bestScore[at] = bestScore[at - 1]!;
      bestIndex[at] = bestIndex[at - 1]!;
      at--;
    }
    bestScore[at] = score;
    bestIndex[at] = i;
    if (filled < k) filled++;
    if (filled === k) floor = bestScore[k - 1]!;
  }
  const result: { index: number; score: number }[] = [];
  for (let i = 0; i < filled; i++) result.push({ index: bestIndex[i]!, score: bestScore[i]! });
  return result;
}
