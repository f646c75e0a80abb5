// Command-line image arguments: files and folders (searched recursively) to a sorted list of
// image files, with one-line errors for paths that do not exist and folders without images.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { VisageError } from '../errors.ts';

/** File name endings taken as images when a folder is searched (a file named directly is always tried). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase()) && !path.basename(name).startsWith('.');
}

/** Image files under `folder`, recursively, sorted by path; hidden files and folders skipped. */
export async function imagesUnder(folder: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && isImageName(entry.name)) out.push(full);
    }
  };
  await walk(folder);
  return out;
}

/** An image to process and the argument it came from (a folder, or the file itself). */
export interface ImageArg {
  file: string;
  arg: string;
  /** The argument is a folder (searched recursively). */
  fromFolder: boolean;
}

/**
 * Files named directly, and the images found in folders named, in the order given (each folder's
 * images sorted), without duplicates, each with the argument it came from. A missing path or a
 * folder with no image is an error.
 */
export async function expandImageArgsWithSource(args: readonly string[]): Promise<ImageArg[]> {
  const out: ImageArg[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new VisageError(code === 'ENOENT' || code === 'ENOTDIR' ? 'VISAGE_ERR_IMAGE_NOT_FOUND' : 'VISAGE_ERR_BAD_INPUT',
        code === 'ENOENT' || code === 'ENOTDIR' ? `no such file or folder: ${arg}` : `cannot read ${arg}: ${code ?? String(error)}`, { cause: error });
    }
    const fromFolder = info.isDirectory();
    const found = fromFolder ? await imagesUnder(arg) : [arg];
    if (fromFolder && found.length === 0) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', `no images in folder ${arg} (looked for ${[...IMAGE_EXTENSIONS].join(' ')})`);
    }
    for (const file of found) {
      const key = path.resolve(file);
      if (!seen.has(key)) { seen.add(key); out.push({ file, arg, fromFolder }); }
    }
  }
  return out;
}

/** expandImageArgsWithSource, the files only. */
export async function expandImageArgs(args: readonly string[]): Promise<string[]> {
  return (await expandImageArgsWithSource(args)).map((a) => a.file);
}

/** A name for an output file derived from an input path, unique within one run. */
export function outputName(file: string, used: Set<string>, suffix = '', extension?: string): string {
  const ext = extension ?? path.extname(file).toLowerCase();
  const base = path.basename(file, path.extname(file)).replace(/[^\p{L}\p{N}._-]+/gu, '_') || 'image';
  let name = `${base}${suffix}${ext}`;
  for (let i = 2; used.has(name); i++) name = `${base}${suffix}_${i}${ext}`;
  used.add(name);
  return name;
}
