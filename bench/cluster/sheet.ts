// bench:cluster --sheet DIR: Visage's clustering of LFW View 1 as a contact sheet (the one `visage
// cluster` writes) of its `shown` worst clusters: most pairs of different people put together
// first, each headed by the people in it, so the worst mistakes can be looked at.
import type { Clustering } from '../../src/cluster/index.ts';
import type { ClusterReport, PhotoFace } from '../../src/recognition/clustering.ts';
import { writeContactSheet } from '../../src/report/cluster-sheet.ts';
import type { ClusterFace } from './sets.ts';

export interface WorstCluster { wrongPairs: number; people: [string, number][]; faces: number }

/** Writes DIR/index.html (and DIR/faces/); returns the page and the clusters worst first. */
export async function writeWorstFirstSheet(faces: readonly ClusterFace[], result: Clustering, embedder: string, params: Record<string, number>, out: string, shown = 30): Promise<{ page: string; worst: WorstCluster[] }> {
  const photoFace = (i: number): PhotoFace => {
    const f = faces[i]!;
    return { key: `${f.photo}-${i}`, file: f.file, contentHash: '', box: f.face.box, score: f.face.score, quality: f.face.quality ?? { size: 0, sharpness: 0, frontalness: 0 }, pose: f.face.pose ?? { yaw: 0, pitch: 0, roll: 0 }, five: f.face.five! };
  };
  const rows = result.clusters.map((cluster) => {
    const byPerson = new Map<string, number>();
    for (const i of cluster) { const who = faces[i]!.label ?? '(bystander)'; byPerson.set(who, (byPerson.get(who) ?? 0) + 1); }
    const labelled = [...byPerson].filter(([who]) => who !== '(bystander)').map(([, k]) => k);
    const total = labelled.reduce((a, b) => a + b, 0);
    const wrongPairs = (total * (total - 1)) / 2 - labelled.reduce((a, k) => a + (k * (k - 1)) / 2, 0);
    return { cluster, wrongPairs, people: [...byPerson].sort((a, b) => b[1] - a[1]) };
  }).sort((a, b) => b.wrongPairs - a.wrongPairs || b.cluster.length - a.cluster.length);
  const report: ClusterReport = {
    embedder, threshold: params.threshold ?? 0, cohesion: params.cohesion ?? 0,
    clusters: rows.slice(0, shown).map((r, k) => ({ id: `#${k + 1}: ${r.wrongPairs} wrong pairs`, subject: r.people.map(([who, n]) => `${who} ${n}`).join(' + '), faces: r.cluster.map(photoFace) })),
    matched: [], unclustered: [], setAside: [], setAsideCounts: {} as ClusterReport['setAsideCounts'],
    noFace: [], errors: [], images: new Set(faces.map((f) => f.photo)).size, faces: faces.length, analysed: 0, fromCache: faces.length,
  };
  const page = await writeContactSheet(report, out);
  return { page, worst: rows.map((r) => ({ wrongPairs: r.wrongPairs, people: r.people, faces: r.cluster.length })) };
}
