// Clustering quality against known identities: pure functions. Faces left unclustered count as
// clusters of one (so a person with one photo who is left alone is exactly right, and a person's
// face left out of their cluster costs recall). Faces without a label (bystanders in a labelled
// photo) are clustered with the rest but left out of the scores.

export interface ClusteringScores {
  /** Labelled faces scored. */
  faces: number;
  pairwise: { precision: number; recall: number; f: number };
  bcubed: { precision: number; recall: number; f: number };
  /** Normalised mutual information (arithmetic mean of the entropies), singletons included. */
  nmi: number;
  /** Clusters (two faces or more) holding at least one labelled face. */
  clusters: number;
  /** Distinct people among the labelled faces, and those with two faces or more. */
  people: number;
  peopleWithTwoOrMore: number;
  /** Labelled faces in no cluster. */
  unclustered: number;
}

const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));
const pairs = (k: number) => (k * (k - 1)) / 2;

/**
 * `clusterOf[i]`: item i's cluster (any number; -1 or a number used once for an unclustered item
 * is the same thing), `labels[i]`: its identity or null when unknown.
 */
export function scoreClustering(clusterOf: ArrayLike<number>, labels: ReadonlyArray<string | null>): ClusteringScores {
  const items: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] !== null) items.push(i);
  // Unclustered items get a cluster of their own.
  let fresh = -1;
  const cluster = new Map<number, number>();
  for (const i of items) cluster.set(i, clusterOf[i]! < 0 ? fresh-- : clusterOf[i]!);
  const bySize = (key: (i: number) => string | number) => {
    const m = new Map<string | number, number>();
    for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
    return m;
  };
  const clusterSize = bySize((i) => cluster.get(i)!);
  const labelSize = bySize((i) => labels[i]!);
  const jointSize = bySize((i) => `${cluster.get(i)}\u0000${labels[i]}`);
  let truePairs = 0, predictedPairs = 0, bothPairs = 0;
  for (const k of labelSize.values()) truePairs += pairs(k);
  for (const k of clusterSize.values()) predictedPairs += pairs(k);
  for (const k of jointSize.values()) bothPairs += pairs(k);
  let bp = 0, br = 0;
  for (const i of items) {
    const joint = jointSize.get(`${cluster.get(i)}\u0000${labels[i]}`)!;
    bp += joint / clusterSize.get(cluster.get(i)!)!;
    br += joint / labelSize.get(labels[i]!)!;
  }
  const n = items.length;
  const entropy = (sizes: Iterable<number>) => { let h = 0; for (const k of sizes) h -= (k / n) * Math.log(k / n); return h; };
  let mutual = 0;
  for (const [key, k] of jointSize) {
    const [c, label] = (key as string).split('\u0000');
    mutual += (k / n) * Math.log((k * n) / (clusterSize.get(Number(c))! * labelSize.get(label!)!));
  }
  const hc = entropy(clusterSize.values()), hl = entropy(labelSize.values());
  const pp = predictedPairs === 0 ? 1 : bothPairs / predictedPairs, pr = truePairs === 0 ? 1 : bothPairs / truePairs;
  const precision = n === 0 ? 1 : bp / n, recall = n === 0 ? 1 : br / n;
  return {
    faces: n,
    pairwise: { precision: pp, recall: pr, f: f1(pp, pr) },
    bcubed: { precision, recall, f: f1(precision, recall) },
    nmi: hc + hl === 0 ? 1 : (2 * mutual) / (hc + hl),
    clusters: new Set(items.map((i) => clusterOf[i]!).filter((c) => c >= 0)).size,
    people: labelSize.size,
    peopleWithTwoOrMore: [...labelSize.values()].filter((k) => k >= 2).length,
    unclustered: items.filter((i) => clusterOf[i]! < 0).length,
  };
}
