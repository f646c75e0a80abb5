// Umeyama similarity fit and the affine helpers, on synthetic point sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { similarityTransform } from '../../../src/face/align/similarity.ts';
import { applyAffine, composeAffine, invertAffine, type Affine } from '../../../src/face/align/affine.ts';
import type { Point } from '../../../src/types.ts';

/** A small deterministic generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function similarity(angle: number, scale: number, tx: number, ty: number): Affine {
  const a = scale * Math.cos(angle), b = scale * Math.sin(angle);
  return [[a, -b, tx], [b, a, ty]];
}

function assertMatrixClose(actual: Affine, expected: Affine, tolerance: number): void {
  for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) {
    const d = Math.abs(actual[r]![c]! - expected[r]![c]!);
    assert.ok(d <= tolerance, `m[${r}][${c}] = ${actual[r]![c]} vs ${expected[r]![c]} (|d| = ${d})`);
  }
}

function residual(matrix: Affine, src: Point[], dst: Point[]): number {
  let sum = 0;
  src.forEach((p, i) => { const q = applyAffine(matrix, p); sum += (q.x - dst[i]!.x) ** 2 + (q.y - dst[i]!.y) ** 2; });
  return sum;
}

/** General linear least squares over (a, b, tx, ty) for x' = a x - b y + tx, y' = b x + a y + ty: 4x4 normal equations. */
function leastSquaresReference(src: Point[], dst: Point[]): Affine {
  const ata = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
  const atb = [0, 0, 0, 0];
  const add = (row: number[], value: number) => {
    for (let i = 0; i < 4; i++) { atb[i]! += row[i]! * value; for (let j = 0; j < 4; j++) ata[i]![j]! += row[i]! * row[j]!; }
  };
  src.forEach((p, i) => { add([p.x, -p.y, 1, 0], dst[i]!.x); add([p.y, p.x, 0, 1], dst[i]!.y); });
  // Gaussian elimination with partial pivoting.
  const m = ata.map((row, i) => [...row, atb[i]!]);
  for (let c = 0; c < 4; c++) {
    let pivot = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < 5; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const [a, b, tx, ty] = m.map((row, i) => row[4]! / row[i]!);
  return [[a!, -b!, tx!], [b!, a!, ty!]];
}

test('recovers a known similarity exactly from noise-free points', () => {
  const rand = random(1);
  for (let trial = 0; trial < 50; trial++) {
    const truth = similarity((rand() - 0.5) * 2 * Math.PI, 0.05 + rand() * 5, (rand() - 0.5) * 500, (rand() - 0.5) * 500);
    const n = 2 + Math.floor(rand() * 10);
    const src = Array.from({ length: n }, () => ({ x: rand() * 300, y: rand() * 300 }));
    const dst = src.map((p) => applyAffine(truth, p));
    assertMatrixClose(similarityTransform(src, dst), truth, 1e-8);
  }
});

test('with noisy points it is the least-squares similarity, close to the truth', () => {
  const rand = random(2);
  for (let trial = 0; trial < 20; trial++) {
    const truth = similarity((rand() - 0.5) * 2, 0.5 + rand(), rand() * 100, rand() * 100);
    const src = Array.from({ length: 68 }, () => ({ x: rand() * 200, y: rand() * 200 }));
    const dst = src.map((p) => { const q = applyAffine(truth, p); return { x: q.x + (rand() - 0.5) * 4, y: q.y + (rand() - 0.5) * 4 }; });
    const fitted = similarityTransform(src, dst);
    assertMatrixClose(fitted, leastSquaresReference(src, dst), 1e-7);
    // Noise of +-2 px over 68 points spread across 200 px moves the fit little.
    assertMatrixClose(fitted, truth, 1);
    assert.ok(Math.abs(fitted[0][0] - truth[0][0]) < 0.01 && Math.abs(fitted[1][0] - truth[1][0]) < 0.01);
    // And it is a minimum: nudging any parameter of the similarity makes the residual larger.
    const best = residual(fitted, src, dst);
    for (const [da, db] of [[1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3]] as const) {
      const [[a, b, tx], [c, d, ty]] = fitted;
      assert.ok(residual([[a + da, b - db, tx], [c + db, d + da, ty]], src, dst) > best);
    }
  }
});

test('a mirrored point set gives the best proper rotation, never a reflection', () => {
  const rand = random(3);
  for (let trial = 0; trial < 10; trial++) {
    const src = Array.from({ length: 5 + trial }, () => ({ x: rand() * 100, y: rand() * 100 }));
    const dst = src.map((p) => ({ x: 300 - 1.5 * p.x, y: 20 + 1.5 * p.y })); // mirror in x, scale 1.5
    const fitted = similarityTransform(src, dst);
    const [[a, b], [c, d]] = fitted;
    assert.ok(a * d - b * c > 0, 'determinant must be positive');
    assert.ok(Math.abs(a - d) < 1e-12 && Math.abs(b + c) < 1e-12, 'rotation and uniform scale only');
    // Brute force over proper rotations (each with its best scale >= 0 and translation).
    const sx = src.reduce((s, p) => s + p.x, 0) / src.length, sy = src.reduce((s, p) => s + p.y, 0) / src.length;
    const dx = dst.reduce((s, p) => s + p.x, 0) / dst.length, dy = dst.reduce((s, p) => s + p.y, 0) / dst.length;
    let bruteBest = Infinity;
    for (let k = 0; k < 36000; k++) {
      const angle = (k / 36000) * 2 * Math.PI, cos = Math.cos(angle), sin = Math.sin(angle);
      let dot = 0, norm = 0;
      src.forEach((p, i) => {
        const ux = p.x - sx, uy = p.y - sy, vx = dst[i]!.x - dx, vy = dst[i]!.y - dy;
        dot += vx * (cos * ux - sin * uy) + vy * (sin * ux + cos * uy);
        norm += ux * ux + uy * uy;
      });
      const scale = Math.max(0, dot / norm);
      const m = similarity(angle, scale, 0, 0);
      m[0][2] = dx - (m[0][0] * sx + m[0][1] * sy);
      m[1][2] = dy - (m[1][0] * sx + m[1][1] * sy);
      bruteBest = Math.min(bruteBest, residual(m, src, dst));
    }
    const ours = residual(fitted, src, dst);
    assert.ok(ours <= bruteBest * (1 + 1e-6) + 1e-9, `fit residual ${ours} > brute-force ${bruteBest}`);
  }
});

test('applyAffine, invertAffine and composeAffine agree', () => {
  const m: Affine = [[1.2, -0.3, 15], [0.4, 0.9, -7]];
  const inverse = invertAffine(m);
  const p = { x: 31.5, y: -12.25 };
  const back = applyAffine(inverse, applyAffine(m, p));
  assert.ok(Math.abs(back.x - p.x) < 1e-12 && Math.abs(back.y - p.y) < 1e-12);
  assertMatrixClose(composeAffine(inverse, m), [[1, 0, 0], [0, 1, 0]], 1e-12);
  const n: Affine = [[0.5, 0, 3], [0, 2, 1]];
  const viaCompose = applyAffine(composeAffine(n, m), p);
  const inTurn = applyAffine(n, applyAffine(m, p));
  assert.ok(Math.abs(viaCompose.x - inTurn.x) < 1e-12 && Math.abs(viaCompose.y - inTurn.y) < 1e-12);
});

test('bad input is a coded error', () => {
  const p = [{ x: 0, y: 0 }, { x: 1, y: 0 }];
  assert.throws(() => invertAffine([[1, 2, 0], [2, 4, 0]]), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => similarityTransform(p, [p[0]!]), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => similarityTransform([p[0]!], [p[0]!]), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => similarityTransform([p[0]!, p[0]!], p), { code: 'VISAGE_ERR_BAD_INPUT' });
  assert.throws(() => similarityTransform([p[0]!, { x: NaN, y: 0 }], p), { code: 'VISAGE_ERR_BAD_INPUT' });
});
