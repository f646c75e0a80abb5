// Synthetic embeddings for the learner tests: seeded Gaussian clusters on the unit sphere.
import { createRng } from '../../src/learn/rng.ts';

export interface Synthetic {
  readonly X: Float32Array[];
  readonly y: string[];
}

export function normalise(v: Float64Array | number[]): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(v, (x) => x / norm);
}

/**
 * counts[c] samples of class "c<c>" around a random unit centre: centre + noise · N(0, I_d/d),
 * then scaled to unit length. noise 0.3: well separated; 1.5: overlapping. Distinct seeds give
 * distinct centres unless centreSeed is given (train and test sets from one set of centres).
 */
export function clusters(options: { d: number; counts: number[]; noise: number; seed: number; centreSeed?: number }): Synthetic {
  const { d, counts, noise, seed } = options;
  const centreRng = createRng(options.centreSeed ?? seed);
  const centres = counts.map(() => normalise(Float64Array.from({ length: d }, () => centreRng.normal())));
  const rng = createRng(seed * 7919 + 1);
  const X: Float32Array[] = [];
  const y: string[] = [];
  counts.forEach((count, c) => {
    for (let i = 0; i < count; i++) {
      X.push(normalise(Float64Array.from({ length: d }, (_, j) => centres[c][j] + (noise * rng.normal()) / Math.sqrt(d))));
      y.push(`c${c}`);
    }
  });
  return { X, y };
}

/**
 * XOR in 128-d: the class is sign(x0) · sign(x1) ("pos" when equal). Four blobs at (±1, ±1) in the
 * first two dimensions plus noise in all; no hyperplane separates the classes.
 */
export function xor(options: { d: number; perBlob: number; seed: number }): Synthetic {
  const { d, perBlob, seed } = options;
  const rng = createRng(seed);
  const X: Float32Array[] = [];
  const y: string[] = [];
  for (const [a, b] of [[1, 1], [-1, -1], [1, -1], [-1, 1]]) {
    for (let i = 0; i < perBlob; i++) {
      const v = Float64Array.from({ length: d }, () => 0.1 * rng.normal());
      v[0] += a;
      v[1] += b;
      X.push(normalise(v));
      y.push(a === b ? 'pos' : 'neg');
    }
  }
  return { X, y };
}

/**
 * Two views of four classes, as two embedders that each confuse a different pair: in view 0,
 * classes c0 and c1 share one centre (c2, c3 have their own); in view 1, c2 and c3 share one
 * (c0, c1 have their own). Each view alone tops out near 75% accuracy; both together separate all four.
 */
export function twoViews(options: { d: number; perClass: number; noise: number; seed: number }): { views: [Float32Array[], Float32Array[]]; y: string[] } {
  const { d, perClass, noise, seed } = options;
  const centreRng = createRng(4242);
  const centre = () => normalise(Float64Array.from({ length: d }, () => centreRng.normal()));
  const centres0 = [centre(), centre(), centre()];
  const centres1 = [centre(), centre(), centre()];
  const group0 = [0, 0, 1, 2];
  const group1 = [0, 1, 2, 2];
  const rng = createRng(seed);
  const sample = (c: Float32Array) => normalise(Float64Array.from(c, (v) => v + (noise * rng.normal()) / Math.sqrt(d)));
  const views: [Float32Array[], Float32Array[]] = [[], []];
  const y: string[] = [];
  for (let c = 0; c < 4; c++) {
    for (let i = 0; i < perClass; i++) {
      views[0].push(sample(centres0[group0[c]]));
      views[1].push(sample(centres1[group1[c]]));
      y.push(`c${c}`);
    }
  }
  return { views, y };
}
