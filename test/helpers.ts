// Shared test utilities: seeded data, closeness checks with a written tolerance, and the numerical gradient check
// (the GPU backward against central finite differences of a float64 CPU reference).
import { expect } from "vitest";
import { backward } from "../src/nn/autograd.ts";
import { init, Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";

export async function gpu(): Promise<Runtime> {
  return await init();
}

/** Deterministic uniform values in [lo, hi), rounded to float32 so CPU and GPU see identical inputs. */
export function rand(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = Math.fround(lo + (hi - lo) * u);
  }
  return out;
}

export interface Tolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance, against |expected|. */
  rtol: number;
}

/** Asserts |actual − expected| ≤ atol + rtol·|expected| everywhere, naming the worst element on failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const excess = err - (tol.atol + tol.rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(|diff| ${Math.abs(actual[worst] - expected[worst]).toExponential(3)}, atol ${tol.atol}, rtol ${tol.rtol})`,
    );
  }
}

export interface GradInput {
  name: string;
  data: Float64Array;
  shape: number[];
  /** false for inputs that are not differentiated (targets, masks, indices). */
  grad?: boolean;
}

export interface GradCheck {
  inputs: GradInput[];
  /** Float64 CPU reference of the op. */
  ref: (xs: Float64Array[]) => Float64Array;
  /** The GPU op under test. */
  op: (xs: Tensor[]) => Tensor;
  forwardTol: Tolerance;
  gradTol: Tolerance;
  /** Finite-difference step (the reference is float64, so a small step is exact to ~1e-9). */
  eps?: number;
  seed?: number;
}

/**
 * Forward against the reference, then backward with a random upstream gradient g against the central finite
 * differences of L(x) = Σ g·ref(x) for every element of every differentiated input.
 */
export async function gradCheck(c: GradCheck): Promise<void> {
  const eps = c.eps ?? 1e-6;
  const tensors = c.inputs.map((i) => Tensor.fromArray(Float32Array.from(i.data), i.shape, i.grad !== false));
  const expectedY = c.ref(c.inputs.map((i) => i.data));
  const y = c.op(tensors);
  expectClose(await y.read(), expectedY, c.forwardTol, "forward");
  const g = rand(y.size, c.seed ?? 99);
  const gT = Tensor.fromArray(Float32Array.from(g), y.shape);
  backward(y, gT);
  const loss = (xs: Float64Array[]) => {
    const out = c.ref(xs);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += g[i] * out[i];
    return s;
  };
  for (let k = 0; k < c.inputs.length; k++) {
    const input = c.inputs[k];
    if (input.grad === false) continue;
    const xs = c.inputs.map((i) => Float64Array.from(i.data));
    const numeric = new Float64Array(input.data.length);
    for (let j = 0; j < input.data.length; j++) {
      const x0 = xs[k][j];
      xs[k][j] = x0 + eps;
      const lp = loss(xs);
      xs[k][j] = x0 - eps;
      const lm = loss(xs);
      xs[k][j] = x0;
      numeric[j] = (lp - lm) / (2 * eps);
    }
    const gradT = tensors[k].grad;
    if (!gradT) expect.fail(`gradient of ${input.name}: none computed`);
    expectClose(await gradT.read(), numeric, c.gradTol, `gradient of ${input.name}`);
  }
  for (const t of tensors) {
    t.grad?.release();
    t.release();
  }
  y.release();
  gT.release();
}

/** Runs `fn` with the storage-binding limit lowered, so large-tensor splitting runs on small tensors. */
export async function withBindingLimit<T>(rt: Runtime, bytes: number, fn: () => Promise<T>): Promise<T> {
  const saved = rt.maxBinding;
  rt.maxBinding = bytes;
  try {
    return await fn();
  } finally {
    rt.maxBinding = saved;
  }
}
