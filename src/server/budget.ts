// The bytes of request bodies held in memory at once, all requests together (maxBufferedBytes):
// admission.ts sets a request's share aside when it arrives and gives it back when it is answered.

/** Bytes set aside for request bodies, all requests together. */
export class BodyBudget {
  readonly max: number;
  private held = 0;
  private peak = 0;
  private refused = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** Sets `bytes` aside; false (and nothing set aside) when that would pass the maximum. */
  tryReserve(bytes: number): boolean {
    if (this.held + bytes > this.max) {
      this.refused++;
      return false;
    }
    this.held += bytes;
    this.peak = Math.max(this.peak, this.held);
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  stats(): { heldBytes: number; peakBytes: number; maxBytes: number; refused: number } {
    return { heldBytes: this.held, peakBytes: this.peak, maxBytes: this.max, refused: this.refused };
  }
}
