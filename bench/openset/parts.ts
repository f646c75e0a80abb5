// The parts of the open-set benchmark: which images of ../shared/datasets belong to which person,
// and which of an image's faces is that person.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Which detected face is the labelled person:
 * - 'largest': the face with the largest box (celeb5 photos hold bystanders, smaller as a rule;
 *   ORL and bbt crops hold one face);
 * - 'centre': the face nearest the image centre (LFW centres its subject; bench:lfw does the same).
 */
export type FaceChoice = 'largest' | 'centre';

export interface Person {
  name: string;
  /** Absolute paths in natural sorted order (1, 2, 10), the order enrolment takes them in. */
  images: string[];
}

export interface Part {
  id: string;
  description: string;
  faceChoice: FaceChoice;
  people: Person[];
}

export const PART_IDS = ['celeb5', 'bbt', 'orl', 'lfw'] as const;
export type PartId = (typeof PART_IDS)[number];

const IMAGE = /\.(jpe?g|png|webp|bmp|gif|tiff?)$/i;
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

async function subfolders(folder: string): Promise<string[]> {
  return (await readdir(folder, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort(natural);
}

async function imagesIn(folder: string): Promise<string[]> {
  if (!existsSync(folder)) return [];
  return (await readdir(folder, { withFileTypes: true })).filter((e) => e.isFile() && IMAGE.test(e.name)).map((e) => path.join(folder, e.name));
}

/** Per-person folders under each of `roots` (pooled by folder name), persons with at least `minImages`. */
async function folderPerPerson(roots: string[], minImages = 1): Promise<Person[]> {
  const names = new Set<string>();
  for (const root of roots) for (const name of await subfolders(root)) names.add(name);
  const people: Person[] = [];
  for (const name of [...names].sort(natural)) {
    const images: string[] = [];
    for (const root of roots) images.push(...await imagesIn(path.join(root, name)));
    // Sorted by path relative to the person's folders, so pooled train/val keep train first.
    images.sort(natural);
    if (images.length >= minImages) people.push({ name, images });
  }
  return people;
}

/** Reads one part from the datasets root; throws with the missing folder named. */
export async function loadPart(id: PartId, root: string): Promise<Part> {
  const need = (...parts: string[]) => {
    const folder = path.join(root, ...parts);
    if (!existsSync(folder)) throw new Error(`${id}: ${folder} not found (set VISAGE_DATASETS or run from the project beside ../shared/datasets)`);
    return folder;
  };
  switch (id) {
    case 'celeb5':
      return {
        id, faceChoice: 'largest',
        description: 'celeb5 train+val pooled per person; the largest face of each image',
        people: await folderPerPerson([need('celeb5', 'train'), need('celeb5', 'val')]),
      };
    case 'bbt':
      return {
        id, faceChoice: 'largest',
        description: 'bbt/people grey face crops only (the group photos carry no labels, so they are not probes)',
        people: await folderPerPerson([need('bbt', 'people')]),
      };
    case 'orl':
      return {
        id, faceChoice: 'largest',
        description: 'ORL s1..s40, 10 grey images each',
        people: await folderPerPerson([need('orl')]),
      };
    case 'lfw':
      return {
        id, faceChoice: 'centre',
        description: 'LFW View 1 images of the people with at least 4 images; the face nearest the centre',
        people: await folderPerPerson([need('lfw-view1', 'images')], 4),
      };
  }
}
