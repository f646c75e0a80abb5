// The listeners of one gallery object (Gallery.onChange), told of committed changes in order. A
// listener that throws is reported as a warning: the write has committed, and a listener's failure
// must not make it look as if it had not, nor keep the other listeners from hearing of it.
import type { GalleryChange, GalleryListener } from './gallery.ts';

export class GalleryListeners {
  private readonly listeners = new Set<GalleryListener>();

  /** Adds a listener; returns the function that removes it. */
  add(listener: GalleryListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  clear(): void {
    this.listeners.clear();
  }

  notify(changes: readonly GalleryChange[]): void {
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (error) {
          process.emitWarning(`gallery listener failed on ${change.type}: ${(error as Error).message}`);
        }
      }
    }
  }
}
