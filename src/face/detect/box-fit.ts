// A detector's raw box to a face box: for detectors whose boxes follow another convention than
// WIDER FACE's face boxes (hairline to chin, cheek to cheek), fitted on WIDER dev.

/** Centre moved by (dx * width, dy * height) of the raw box, size scaled by (scaleX, scaleY). */
export interface BoxFit {
  scaleX: number;
  scaleY: number;
  dx: number;
  dy: number;
}

export const IDENTITY_FIT: Readonly<BoxFit> = Object.freeze({ scaleX: 1, scaleY: 1, dx: 0, dy: 0 });

/** Applies a fit to a box given by its centre and size. */
export function fitBox(cx: number, cy: number, width: number, height: number, fit: BoxFit): { x: number; y: number; width: number; height: number } {
  const w = width * fit.scaleX, h = height * fit.scaleY;
  const x = cx + fit.dx * width, y = cy + fit.dy * height;
  return { x: x - w / 2, y: y - h / 2, width: w, height: h };
}
