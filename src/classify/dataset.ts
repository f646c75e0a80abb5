// Folder-per-person datasets: root/<class>/**/<image>. Class names are the folder names; images
// directly under root belong to no class and are listed apart.
import { stat } from 'node:fs/promises';
import { VisageError } from '../errors.ts';
import { isImageName, listFolder, scanFolder } from '../face/image/files.ts';

export interface LabelledImage {
  readonly file: string;
  readonly label: string;
}

export interface LabelledFolder {
  readonly root: string;
  /** Class names, sorted. */
  readonly classes: string[];
  /** Every image with its class, in class then path order. */
  readonly images: LabelledImage[];
  /** Images lying directly in root (no class): not used. */
  readonly unlabelled: string[];
  /** Video files found in the class folders: not read (Visage reads still images). */
  readonly videos: string[];
}

export interface ReadFolderOptions {
  /** Refuse class folders without images (default true). */
  readonly requireImages?: boolean;
  /** Fewest classes accepted (default 1). */
  readonly minClasses?: number;
}

/** Reads root/<class>/ folders; one-line VisageErrors for a missing folder, an empty class, too few classes. */
export async function readLabelledFolder(root: string, options: ReadFolderOptions = {}): Promise<LabelledFolder> {
  let info;
  try {
    info = await stat(root);
  } catch {
    throw new VisageError('VISAGE_ERR_IMAGE_NOT_FOUND', `no such folder: ${root}`);
  }
  if (!info.isDirectory()) throw new VisageError('VISAGE_ERR_BAD_INPUT', `${root} is not a folder (expected one folder per person: ${root}/<name>/*.jpg)`);
  // Class folders and images may be symbolic links (a person's folder kept elsewhere).
  const entries = await listFolder(root);
  const classes: string[] = [];
  const images: LabelledImage[] = [];
  const unlabelled: string[] = [];
  const videos: string[] = [];
  for (const entry of entries) {
    const full = entry.path;
    if (entry.kind === 'folder') {
      const { images: files, videos: found } = await scanFolder(full);
      videos.push(...found);
      if (files.length === 0) {
        if (options.requireImages ?? true) throw new VisageError('VISAGE_ERR_BAD_INPUT', `class folder ${full} has no images`);
        continue;
      }
      classes.push(entry.name);
      for (const file of files) images.push({ file, label: entry.name });
    } else if (isImageName(entry.name)) {
      unlabelled.push(full);
    }
  }
  const minClasses = options.minClasses ?? 1;
  if (classes.length === 0) throw new VisageError('VISAGE_ERR_BAD_INPUT', `no class folders with images in ${root} (expected ${root}/<name>/*.jpg)`);
  if (classes.length < minClasses) {
    throw new VisageError('VISAGE_ERR_BAD_INPUT', `${root} has ${classes.length} class folder${classes.length === 1 ? '' : 's'} (${classes.join(', ')}); a classifier needs at least ${minClasses}`);
  }
  return { root, classes, images, unlabelled, videos };
}
