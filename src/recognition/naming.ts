// Who an enrolment image belongs to, from where it lies (pure: paths in, names out).
//
// The rule, for `visage enroll <path...>` without --name:
// - an image inside a subfolder of a folder given (people/<name>/**/*.jpg) belongs to <name>,
//   the first folder level under the folder given;
// - an image lying directly in a folder given, or a file given by itself, is named after its
//   file: the extension and a trailing number are dropped ("Ada.jpg", "Ada_2.jpg", "Ada (3).jpg",
//   "Ada-04.jpg", "Ada4.jpg" -> "Ada") and underscores become spaces ("George_W_Bush_0001.jpg", LFW style ->
//   "George W Bush");
// - a file name that does not name anyone (only digits, or a camera's "IMG_1234", "DSC_0042",
//   "PXL_...") gives no name: such images need --name.
import path from 'node:path';

/** Camera and screenshot prefixes that are not people's names. */
const NOT_A_NAME = /^(img|image|dsc|dscn|dscf|dcim|pxl|photo|picture|pic|screenshot|screen shot|scan|frame|face|mvimg|vid|wp|untitled)$/i;

/** The person a file is named after, or null when the name says nothing about who it is. */
export function nameFromFileName(file: string): string | null {
  const stem = path.basename(file, path.extname(file));
  const name = stem
    .replace(/[\s_-]*\(\d+\)$/u, '')      // "Ada (3)"
    .replace(/([\s_-]+\d+)+$/u, '')         // "Ada_2", "George_W_Bush_0001", "Ada-04", "IMG_2024_0101"
    .replace(/(?<=\p{L}{2})\d+$/u, '')         // "penny1" (but "R2D2" stays)
    .replace(/_+/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  if (!/\p{L}/u.test(name) || NOT_A_NAME.test(name) || /^\d/.test(name)) return null;
  return name;
}

/** Name of the person an image found under `root` belongs to (see the rule above). */
export function nameForImage(root: string, file: string): string | null {
  const relative = path.relative(root, file);
  const parts = relative.split(path.sep);
  if (relative === '' || parts[0] === '..' || path.isAbsolute(relative)) return nameFromFileName(file);
  return parts.length > 1 ? parts[0]! : nameFromFileName(file);
}
