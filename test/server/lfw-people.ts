// Five LFW people with six or seven photos each (31 images), for the "People to name" tests.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { dataset } from '../helpers/datasets.ts';

export const PEOPLE = ['Colin_Powell', 'Donald_Rumsfeld', 'Jacques_Chirac', 'Jean_Chretien', 'John_Ashcroft'];

/** Each person's photos, sorted; the last one is held back for recognition. */
export async function lfwPeople(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const person of PEOPLE) {
    const folder = dataset('lfw-view1', 'images', person);
    out.set(person, (await readdir(folder)).filter((f) => f.endsWith('.jpg')).sort().map((f) => path.join(folder, f)));
  }
  return out;
}
