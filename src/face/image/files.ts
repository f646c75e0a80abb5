// Image files on disk: which names are images, the images (and videos, set apart) under a folder,
// and an image file's bytes read with Visage's error codes. Used by the CLI's arguments, the
// classifier's folder-per-person datasets and the recognizer (enrolment hashes, reindex search).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { VisageError } from '../../errors.ts';
import { isVideoName } from './video.ts';

/** File name endings taken as images when a folder is searched (a file named directly is always tried). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase()) && !path.basename(name).startsWith('.');
}

/** Image files under `folder`, recursively, sorted by path; hidden files and folders skipped. */
export async function imagesUnder(folder: string): Promise<string[]> {
  return (await scanFolder(folder)).images;
}

/**
 * The image files under `folder` (recursively, sorted by path, hidden entries skipped) and the
 * video files met there (by name), which are not read but counted so that the user is told.
 */
export async function scanFolder(folder: string): Promise<{ images: string[]; videos: string[] }> {
  const images: string[] = [];
  const videos: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && isImageName(entry.name)) images.push(full);
      else if (entry.isFile() && isVideoName(entry.name)) videos.push(full);
    }
  };
  await walk(folder);
  return { images, videos };
}


/** An image file's bytes; a missing file, a folder or an unreadable file is a coded error naming it. */
export async function readImageFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new VisageError('VISAGE_ERR_IMAGE_NOT_FOUND', `no such file: ${file}`, { cause: error });
    if (code === 'EISDIR') throw new VisageError('VISAGE_ERR_BAD_INPUT', `${file} is a folder, not an image`, { cause: error });
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `cannot read ${file}: ${code ?? (error as Error).message}`, { cause: error });
  }
}
