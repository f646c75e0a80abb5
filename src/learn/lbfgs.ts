// Limited-memory BFGS with a backtracking (Armijo) line search, for the smooth convex objectives
// here (multinomial logistic regression). Deterministic: no randomness anywhere.

export interface LbfgsOptions {
  readonly maxIterations: number;
  /** Converged when max |gradient| <= tolerance * max(1, |objective|). */
  readonly tolerance: number;
  /** Correction pairs kept. Default 10. */
  readonly memory?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/** objective(x, gradient) returns f(x) and writes ∇f(x) into gradient. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (const v of a) if (Math.abs(v) > max) max = Math.abs(v);
  return max;
}

export function lbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = start.length;
  const memory = options.memory ?? 10;
  let x = Float64Array.from(start);
  let gradient = new Float64Array(n);
  let value = objective(x, gradient);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const direction = new Float64Array(n);
  const alpha = new Float64Array(memory);
  let nextX = new Float64Array(n);
  let nextGradient = new Float64Array(n);

  for (let iteration = 0; iteration < options.maxIterations; iteration++) {
    if (maxAbs(gradient) <= options.tolerance * Math.max(1, Math.abs(value))) {
      return { x, value, iterations: iteration, converged: true };
    }
    // Two-loop recursion: direction = -H·gradient.
    for (let i = 0; i < n; i++) direction[i] = -gradient[i];
    for (let m = s.length - 1; m >= 0; m--) {
      alpha[m] = rho[m] * dot(s[m], direction);
      for (let i = 0; i < n; i++) direction[i] -= alpha[m] * y[m][i];
    }
    const last = s.length - 1;
    const gamma = last >= 0 ? dot(s[last], y[last]) / dot(y[last], y[last]) : 1 / Math.max(1e-12, Math.sqrt(dot(gradient, gradient)));
    for (let i = 0; i < n; i++) direction[i] *= gamma;
    for (let m = 0; m < s.length; m++) {
      const beta = rho[m] * dot(y[m], direction);
      for (let i = 0; i < n; i++) direction[i] += s[m][i] * (alpha[m] - beta);
    }
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): forget the history, go down the gradient.
      s.length = y.length = rho.length = 0;
      const scale = 1 / Math.max(1e-12, Math.sqrt(dot(gradient, gradient)));
      for (let i = 0; i < n; i++) direction[i] = -gradient[i] * scale;
      slope = dot(gradient, direction);
    }
    let step = 1;
    let nextValue = Infinity;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < n; i++) nextX[i] = x[i] + step * direction[i];
      nextValue = objective(nextX, nextGradient);
      if (nextValue <= value + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(nextValue < value)) return { x, value, iterations: iteration, converged: false };
    const sNew = new Float64Array(n);
    const yNew = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sNew[i] = nextX[i] - x[i];
      yNew[i] = nextGradient[i] - gradient[i];
    }
    const curvature = dot(sNew, yNew);
    if (curvature > 1e-12) {
      if (s.length === memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sNew);
      y.push(yNew);
      rho.push(1 / curvature);
    }
    const improvement = value - nextValue;
    [x, nextX] = [nextX, x];
    [gradient, nextGradient] = [nextGradient, gradient];
    value = nextValue;
    if (improvement <= 1e-12 * Math.max(1, Math.abs(value))) {
      return { x, value, iterations: iteration + 1, converged: true };
    }
  }
  return { x, value, iterations: options.maxIterations, converged: false };
}
