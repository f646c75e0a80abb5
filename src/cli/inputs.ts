// Command-line image arguments: files and folders (searched recursively) to a sorted list of
// image files, with one-line errors for paths that do not exist and folders without images.
// Video files met in folders are counted and reported once (reportSkippedVideos), not read.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { VisageError } from '../errors.ts';
import { IMAGE_EXTENSIONS, scanFolder } from '../face/image/files.ts';

export { IMAGE_EXTENSIONS, isImageName, imagesUnder, listFolder, scanFolder } from '../face/image/files.ts';

/** The one summary line for video files skipped in folders (stderr), or nothing when there were none. */
export function reportSkippedVideos(videos: readonly string[]): void {
  if (videos.length === 0) return;
  process.stderr.write(`visage: skipped ${videos.length} video file${videos.length === 1 ? '' : 's'} (${videoSample(videos)}): this reads still images; videos are read by visage video\n`);
}

function videoSample(videos: readonly string[]): string {
  const names = videos.slice(0, 3).map((v) => path.basename(v));
  return videos.length > 3 ? `${names.join(', ')}, ...` : names.join(', ');
}

/** The stderr line for an image that could not be processed; the path is not repeated when the message starts with it. */
export function imageErrorLine(file: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // A message that already names the file (first, or last as the library's "image not found: x.jpg") is not prefixed with it again.
  return message.startsWith(file) || message.endsWith(`: ${file}`) ? `visage: ${message}\n` : `visage: ${file}: ${message}\n`;
}

/** An image to process and the argument it came from (a folder, or the file itself). */
export interface ImageArg {
  file: string;
  arg: string;
  /** The argument is a folder (searched recursively). */
  fromFolder: boolean;
}

/** What the command-line arguments name: the images to process, and the videos skipped in folders. */
export interface ExpandedInputs {
  images: ImageArg[];
  /** Video files found in the folders given (named by their extension); not read. */
  skippedVideos: string[];
}

/**
 * Files named directly, and the images found in folders named, in the order given (each folder's
 * images sorted), without duplicates, each with the argument it came from; video files found in
 * folders are set apart. A file named directly is always kept (a video among them is refused when
 * it is read, with its own message). A folder with no image is an error, and so is a missing
 * path unless `missing` is 'keep' (then it is listed as a file, to fail when read).
 */
export async function expandInputs(args: readonly string[], options: { missing?: 'error' | 'keep' } = {}): Promise<ExpandedInputs> {
  const images: ImageArg[] = [];
  const skippedVideos: string[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Kept as a file: reading it fails with the library's error, reported per image.
      if (options.missing === 'keep') { images.push({ file: arg, arg, fromFolder: false }); continue; }
      throw new VisageError(code === 'ENOENT' || code === 'ENOTDIR' ? 'VISAGE_ERR_IMAGE_NOT_FOUND' : 'VISAGE_ERR_BAD_INPUT',
        code === 'ENOENT' || code === 'ENOTDIR' ? `no such file or folder: ${arg}` : `cannot read ${arg}: ${code ?? String(error)}`, { cause: error });
    }
    const fromFolder = info.isDirectory();
    const found = fromFolder ? await scanFolder(arg) : { images: [arg], videos: [] };
    if (fromFolder && found.images.length === 0) {
      throw new VisageError('VISAGE_ERR_BAD_INPUT', found.videos.length
        ? `no images in folder ${arg}, only ${found.videos.length} video file${found.videos.length === 1 ? '' : 's'} (${videoSample(found.videos)}): this reads still images; videos are read by visage video`
        : `no images in folder ${arg} (looked for ${[...IMAGE_EXTENSIONS].join(' ')})`);
    }
    for (const file of found.images) {
      const key = path.resolve(file);
      if (!seen.has(key)) { seen.add(key); images.push({ file, arg, fromFolder }); }
    }
    for (const file of found.videos) {
      const key = path.resolve(file);
      if (!seen.has(key)) { seen.add(key); skippedVideos.push(file); }
    }
  }
  return { images, skippedVideos };
}

/** expandInputs, the images only. */
export async function expandImageArgsWithSource(args: readonly string[]): Promise<ImageArg[]> {
  return (await expandInputs(args)).images;
}

/** expandInputs, the image files only. */
export async function expandImageArgs(args: readonly string[]): Promise<string[]> {
  return (await expandInputs(args)).images.map((a) => a.file);
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
