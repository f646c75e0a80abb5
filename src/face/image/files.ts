// Image files on disk: which names are images, the images (and videos, set apart) under a folder,
// and an image file's bytes read with Visage's error codes. Used by the CLI's arguments, the
// classifier's folder-per-person datasets and the recognizer (enrolment hashes, reindex search).
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { VisageError } from '../../errors.ts';
import { isVideoName } from './video.ts';

/** File name endings taken as images when a folder is searched (a file named directly is always tried). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase()) && !path.basename(name).startsWith('.');
}

/** A visible entry of a folder, symbolic links resolved to what they point at. */
export interface FolderEntry {
  readonly name: string;
  /** The folder joined with the entry's name (a link keeps its own name, not its target's). */
  readonly path: string;
  readonly kind: 'folder' | 'file';
}

/**
 * The entries of `folder` sorted by name, hidden ones skipped. A symbolic link counts as what it
 * points at (a folder or a file); a dangling link, and anything that is neither (sockets, fifos),
 * is left out.
 */
export async function listFolder(folder: string): Promise<FolderEntry[]> {
  const entries = (await readdir(folder, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const listed: FolderEntry[] = [];
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    let kind: FolderEntry['kind'] | null = entry.isDirectory() ? 'folder' : entry.isFile() ? 'file' : null;
    if (entry.isSymbolicLink()) {
      const target = await stat(full).catch(() => null);
      kind = target?.isDirectory() ? 'folder' : target?.isFile() ? 'file' : null;
    }
    if (kind) listed.push({ name: entry.name, path: full, kind });
  }
  return listed;
}

/** Image files under `folder`, recursively, sorted by path; hidden files and folders skipped. */
export async function imagesUnder(folder: string): Promise<string[]> {
  return (await scanFolder(folder)).images;
}

/**
 * The image files under `folder` (recursively, sorted by path, hidden entries skipped) and the
 * video files met there (by name), which are not read but counted so that the user is told.
 * Symbolic links are followed; a folder reached again (a link to a folder above it, or two links
 * to one folder) is read once, so a link cycle ends.
 */
export async function scanFolder(folder: string): Promise<{ images: string[]; videos: string[] }> {
  const images: string[] = [];
  const videos: string[] = [];
  const visited = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    for (const entry of await listFolder(dir)) {
      if (entry.kind === 'folder') await walk(entry.path);
      else if (isImageName(entry.name)) images.push(entry.path);
      else if (isVideoName(entry.name)) videos.push(entry.path);
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
