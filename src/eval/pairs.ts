// LFW verification pairs files, in the official format:
//   first line  "10 300"  View 2: 10 folds, each of 300 same-person then 300 different-person pairs
//               "1100"    View 1 (pairsDevTrain.txt / pairsDevTest.txt): one set of 1100 + 1100
//   then        "name n1 n2"            a same-person pair (images n1 and n2 of name)
//               "name1 n1 name2 n2"     a different-person pair
// Image n of name is images/<name>/<name>_<n as 4 digits>.jpg.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { VisageError } from '../errors.ts';

/** One image of the LFW set: image `number` (1-based) of person `name`. */
export interface PairImage {
  readonly name: string;
  readonly number: number;
}

export interface Pair {
  readonly first: PairImage;
  readonly second: PairImage;
  /** True for a same-person pair. */
  readonly same: boolean;
  /** 0-based fold (always 0 in a View 1 file). */
  readonly fold: number;
}

export interface PairsFile {
  /** 10 for a View 2 file, 1 for a View 1 file. */
  readonly folds: number;
  /** Same-person pairs per fold (as many different-person pairs again). */
  readonly perFold: number;
  /** In file order. */
  readonly pairs: readonly Pair[];
}

const bad = (where: string, message: string) => new VisageError('VISAGE_ERR_BAD_INPUT', `${where}: ${message}`);

function positiveInteger(token: string, where: string): number {
  if (!/^\d+$/.test(token) || Number(token) < 1) throw bad(where, `"${token}" is not a positive integer`);
  return Number(token);
}

/**
 * Parses the text of a pairs file. Each pair's kind comes from its number of fields and its fold
 * from its position (fold f holds lines 2*perFold*f ... 2*perFold*(f+1) - 1); each fold must hold
 * exactly perFold pairs of each kind. Fields may be separated by tabs or spaces; blank lines are
 * ignored. `source` names the file in error messages.
 */
export function parsePairs(text: string, source = 'pairs file'): PairsFile {
  const lines = text.split(/\r?\n/).map((line, index) => ({ fields: line.trim().split(/\s+/), number: index + 1 }))
    .filter((line) => line.fields[0] !== '');
  if (lines.length === 0) throw bad(source, 'empty');
  const header = lines[0]!;
  const at = (line: { number: number }) => `${source} line ${line.number}`;
  if (header.fields.length > 2) throw bad(at(header), 'the first line must be "<pairs per kind>" or "<folds> <pairs per kind per fold>"');
  const folds = header.fields.length === 2 ? positiveInteger(header.fields[0]!, at(header)) : 1;
  const perFold = positiveInteger(header.fields[header.fields.length - 1]!, at(header));
  const body = lines.slice(1);
  if (body.length !== 2 * folds * perFold) {
    throw bad(source, `the header promises ${folds} x (${perFold} + ${perFold}) = ${2 * folds * perFold} pairs, the file has ${body.length}`);
  }
  const sameCounts = new Array<number>(folds).fill(0);
  const pairs = body.map((line, index): Pair => {
    const fold = Math.floor(index / (2 * perFold));
    const f = line.fields;
    let pair: Pair;
    if (f.length === 3) {
      pair = { first: { name: f[0]!, number: positiveInteger(f[1]!, at(line)) }, second: { name: f[0]!, number: positiveInteger(f[2]!, at(line)) }, same: true, fold };
      sameCounts[fold]!++;
    } else if (f.length === 4) {
      pair = { first: { name: f[0]!, number: positiveInteger(f[1]!, at(line)) }, second: { name: f[2]!, number: positiveInteger(f[3]!, at(line)) }, same: false, fold };
    } else {
      throw bad(at(line), `expected "name n1 n2" or "name1 n1 name2 n2", got ${f.length} fields`);
    }
    return pair;
  });
  sameCounts.forEach((count, fold) => {
    if (count !== perFold) throw bad(source, `fold ${fold + 1} holds ${count} same-person pairs, the header says ${perFold}`);
  });
  return { folds, perFold, pairs };
}

/** Reads and parses a pairs file. */
export async function readPairsFile(file: string): Promise<PairsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `cannot read pairs file ${file}: ${(cause as Error).message}`, { cause });
  }
  return parsePairs(text, file);
}

/** `name_NNNN`: the image's file name without extension, unique within LFW. */
export function imageKey(image: PairImage): string {
  return `${image.name}_${String(image.number).padStart(4, '0')}`;
}

/** `<root>/<name>/<name>_NNNN.jpg`. */
export function imagePath(root: string, image: PairImage): string {
  return path.join(root, image.name, `${imageKey(image)}.jpg`);
}

/** Every image the pairs use, once, in order of first use. */
export function distinctImages(pairs: readonly Pair[]): PairImage[] {
  const seen = new Map<string, PairImage>();
  for (const pair of pairs) {
    for (const image of [pair.first, pair.second]) {
      const key = imageKey(image);
      if (!seen.has(key)) seen.set(key, image);
    }
  }
  return [...seen.values()];
}
