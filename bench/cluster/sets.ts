// The labelled sets of bench:cluster, read from ../shared/datasets: every face of every image is
// clustered; the labelled person's face (LFW: nearest the centre; ORL, celeb5: the largest) carries
// the folder's name, other faces (bystanders) none.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { FaceSource, FoundFace } from '../../src/classify/faces.ts';

export interface LabelledImage { file: string; person: string }

export interface ClusterFace {
  file: string;
  /** Index of the photo within the set (the cannot-link rule). */
  photo: number;
  label: string | null;
  vector: Float32Array;
  face: FoundFace;
}

const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
const IMAGE = /\.(jpe?g|png)$/i;

async function folderPerPerson(roots: string[]): Promise<LabelledImage[]> {
  const out: LabelledImage[] = [];
  for (const root of roots) {
    for (const person of (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort(natural)) {
      for (const name of (await readdir(path.join(root, person))).filter((n) => IMAGE.test(n)).sort(natural)) out.push({ file: path.join(root, person, name), person });
    }
  }
  return out;
}

/** The people named in an LFW pairs file. */
export async function pairsPeople(file: string): Promise<Set<string>> {
  const people = new Set<string>();
  for (const line of (await readFile(file, 'utf8')).split('\n').slice(1)) {
    const parts = line.trim().split('\t');
    if (parts.length === 3) people.add(parts[0]!);
    if (parts.length === 4) { people.add(parts[0]!); people.add(parts[2]!); }
  }
  return people;
}

export interface DataSets {
  lfw: LabelledImage[];
  devTrain: Set<string>;
  devTest: Set<string>;
  orl: LabelledImage[];
  celeb5: LabelledImage[];
}

export async function readSets(root: string): Promise<DataSets> {
  const lfwRoot = path.join(root, 'lfw-view1');
  return {
    lfw: await folderPerPerson([path.join(lfwRoot, 'images')]),
    devTrain: await pairsPeople(path.join(lfwRoot, 'pairsDevTrain.txt')),
    devTest: await pairsPeople(path.join(lfwRoot, 'pairsDevTest.txt')),
    orl: await folderPerPerson([path.join(root, 'orl')]),
    celeb5: await folderPerPerson([path.join(root, 'celeb5', 'train'), path.join(root, 'celeb5', 'val')]),
  };
}

/** Which face is the labelled one. */
function labelledIndex(faces: readonly FoundFace[], width: number, height: number, rule: 'centre' | 'largest'): number {
  let chosen = -1, best = Infinity;
  faces.forEach((f, i) => {
    const { x, y, width: w, height: h } = f.box;
    const cost = rule === 'largest' ? -w * h : Math.hypot(x + w / 2 - width / 2, y + h / 2 - height / 2);
    if (cost < best) { best = cost; chosen = i; }
  });
  return chosen;
}

/** Every face of the images with the embedder's vector; `tick` after each image. */
export async function facesOf(images: readonly LabelledImage[], source: FaceSource, embedder: string, rule: 'centre' | 'largest', tick?: () => void): Promise<{ faces: ClusterFace[]; noFace: number }> {
  const faces: ClusterFace[] = [];
  let noFace = 0;
  for (let photo = 0; photo < images.length; photo++) {
    const { file, person } = images[photo]!;
    const found = await source.facesOf(file);
    if (found.faces.length === 0) noFace++;
    const labelled = labelledIndex(found.faces, found.width, found.height, rule);
    found.faces.forEach((face, i) => faces.push({ file, photo, label: i === labelled ? person : null, vector: face.embeddings[embedder]!, face }));
    tick?.();
  }
  return { faces, noFace };
}
