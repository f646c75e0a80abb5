// Strict access to a face-api weight map for the network converters: every weight is taken by
// name with its shape checked, and at the end any name the converter never took is an error.
import type { WeightMap } from '../tfjs/weights.ts';

/** A float32 weight and its TF shape. */
export interface WeightTensor {
  data: Float32Array;
  shape: number[];
}

/**
 * Hands out the weights of one network by name. A missing name, a weight that is not float32 or
 * has another shape is an error on `take`; names never taken (apart from `ignored` ones) are an
 * error on `finish`. Every message starts with the network's name and names the weight.
 */
export class Weights {
  private readonly used = new Set<string>();

  constructor(
    private readonly map: WeightMap,
    private readonly net: string,
    private readonly ignored: ReadonlySet<string> = new Set(),
  ) {}

  /** The weight called `name`; entries of `shape` that are -1 match any size. */
  take(name: string, shape: readonly number[]): WeightTensor {
    const entry = this.map.get(name);
    if (!entry) throw new Error(`${this.net}: missing weight '${name}'`);
    if (!(entry.data instanceof Float32Array)) throw new Error(`${this.net}: weight '${name}' is not float32`);
    if (entry.shape.length !== shape.length || shape.some((d, i) => d >= 0 && d !== entry.shape[i])) {
      throw new Error(`${this.net}: weight '${name}' has shape [${entry.shape.join(',')}], expected [${shape.join(',')}]`);
    }
    this.used.add(name);
    return { data: entry.data, shape: [...entry.shape] };
  }

  /** Throws naming every weight of the map that was neither taken nor ignored. */
  finish(): void {
    const unknown = [...this.map.keys()].filter((n) => !this.used.has(n) && !this.ignored.has(n));
    if (unknown.length) throw new Error(`${this.net}: unknown weight${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}`);
  }
}
