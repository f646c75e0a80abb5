// What every clustering method returns: groups of item indices, and the items left on their own.

export interface Clustering {
  /** Each cluster's item indices, ascending; clusters largest first (ties: lowest first index). */
  clusters: number[][];
  /** Items in no cluster (a cluster of one is reported here). */
  unclustered: number[];
}

/** From a label per item (-1: none) to a Clustering; groups smaller than `minSize` become unclustered. */
export function fromLabels(labels: ArrayLike<number>, minSize = 2): Clustering {
  const groups = new Map<number, number[]>();
  const unclustered: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label < 0) { unclustered.push(i); continue; }
    let group = groups.get(label);
    if (!group) groups.set(label, group = []);
    group.push(i);
  }
  const clusters: number[][] = [];
  for (const group of groups.values()) {
    if (group.length >= minSize) clusters.push(group);
    else unclustered.push(...group);
  }
  clusters.sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  unclustered.sort((a, b) => a - b);
  return { clusters, unclustered };
}

/** Items of one photo: a number per item (its photo), or undefined when there is no such rule. */
export type PhotoOf = ArrayLike<number> | undefined;

/** Pairs of items of one photo put in one cluster. */
export function samePhotoViolations(result: Clustering, photoOf: ArrayLike<number>): number {
  let count = 0;
  for (const cluster of result.clusters) {
    const seen = new Map<number, number>();
    for (const i of cluster) {
      const photo = photoOf[i]!;
      const before = seen.get(photo) ?? 0;
      count += before;
      seen.set(photo, before + 1);
    }
  }
  return count;
}

/** The items of each photo (`photoOf[i]`: item i's photo), for the rule that faces of one photo never share a cluster. */
export function itemsByPhoto(photoOf: ArrayLike<number>, n: number): number[][] {
  const byPhoto = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const photo = photoOf[i]!;
    const list = byPhoto.get(photo);
    if (list) list.push(i); else byPhoto.set(photo, [i]);
  }
  return [...byPhoto.values()];
}
