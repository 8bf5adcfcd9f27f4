// Ops on tensors above the adapter's real storage-binding limit (llvmpipe: 128 MiB), checked against CPU
// references. Other tests lower the limit to exercise the splitting on small tensors; this one uses the real one.
import { beforeAll, describe, expect, it } from "vitest";
import { concat } from "../src/nn/ops/concat.ts";
import { relu } from "../src/nn/ops/elementwise.ts";
import { gate } from "../src/nn/ops/gate.ts";
import { batchNorm2d } from "../src/nn/ops/batch_norm2d.ts";
import { groupNorm } from "../src/nn/ops/group_norm.ts";
import { noGrad } from "../src/nn/autograd.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { gpu, rand } from "./helpers.ts";

let rt: Runtime;
// 1×36×1024×1024 float32 = 144 MiB: one tensor over the 128 MiB binding limit.
const C = 36, H = 1024, W = 1024, PLANE = H * W;
let xs: Float32Array;

beforeAll(async () => {
  rt = await gpu();
  xs = Float32Array.from(rand(C * PLANE, 11));
});

/** Max |actual − expected(i)| over every element, and the index where it happens. */
function maxError(actual: Float32Array, expected: (i: number) => number): { err: number; at: number } {
  let err = 0, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i] - expected(i));
    if (!(e <= err)) {
      err = e;
      at = i;
    }
  }
  return { err, at };
}

describe("tensors larger than one storage binding", () => {
  it("the test tensor really exceeds the adapter's limit", () => {
    expect(C * PLANE * 4).toBeGreaterThan(rt.maxBinding);
  });

  it("relu over 144 MiB", async () => {
    const x = Tensor.fromArray(xs, [1, C, H, W]);
    const y = noGrad(() => relu(x));
    const { err, at } = maxError(await y.read(), (i) => Math.max(xs[i], 0));
    expect(err, `worst at ${at}`).toBe(0); // exact: max(x, 0) has no rounding
    x.release();
    y.release();
  });

  it("attention gate over 144 MiB", async () => {
    const psi = Float32Array.from(rand(PLANE, 12, 0, 1));
    const x = Tensor.fromArray(xs, [1, C, H, W]);
    const p = Tensor.fromArray(psi, [1, 1, H, W]);
    const y = noGrad(() => gate(x, p));
    // One float32 multiply: the float64 product rounded once, so within half an ulp (≤ 6e-8 for |y| < 1).
    const { err, at } = maxError(await y.read(), (i) => xs[i] * psi[i % PLANE]);
    expect(err, `worst at ${at}`).toBeLessThan(1e-7);
    for (const t of [x, p, y]) t.release();
  });

  /** Float64 mean and biased variance of planes [p0, p1) of xs. */
  function stats(p0: number, p1: number): { mean: number; variance: number } {
    let s = 0;
    for (let i = p0 * PLANE; i < p1 * PLANE; i++) s += xs[i];
    const mean = s / ((p1 - p0) * PLANE);
    let q = 0;
    for (let i = p0 * PLANE; i < p1 * PLANE; i++) q += (xs[i] - mean) ** 2;
    return { mean, variance: q / ((p1 - p0) * PLANE) };
  }

  it("batch norm (training) over 144 MiB", async () => {
    const x = Tensor.fromArray(xs, [1, C, H, W]);
    const rm = Tensor.zeros([C]);
    const rv = Tensor.full([C], 1);
    const y = noGrad(() => batchNorm2d(x, null, null, rm, rv, { training: true, momentum: 0.1 }));
    const st = Array.from({ length: C }, (_, c) => stats(c, c + 1));
    const inv = st.map((s) => 1 / Math.sqrt(s.variance + 1e-5));
    // Normalised values are O(1); float32 statistics over 1 M elements are good to ~1e-6 relative.
    const { err, at } = maxError(await y.read(), (i) => {
      const c = Math.floor(i / PLANE);
      return (xs[i] - st[c].mean) * inv[c];
    });
    expect(err, `worst at ${at}`).toBeLessThan(1e-4);
    for (const t of [x, rm, rv, y]) t.release();
  });

  it("group norm (4 groups) over 144 MiB", async () => {
    const x = Tensor.fromArray(xs, [1, C, H, W]);
    const y = noGrad(() => groupNorm(x, 4, null, null));
    const per = C / 4;
    const st = Array.from({ length: 4 }, (_, g) => stats(g * per, (g + 1) * per));
    const inv = st.map((s) => 1 / Math.sqrt(s.variance + 1e-5));
    // As for batch norm: O(1) outputs from float32 statistics over 9 M elements.
    const { err, at } = maxError(await y.read(), (i) => {
      const g = Math.floor(i / (PLANE * per));
      return (xs[i] - st[g].mean) * inv[g];
    });
    expect(err, `worst at ${at}`).toBeLessThan(1e-4);
    x.release();
    y.release();
  });

  it("channel concat into 288 MiB and its split", async () => {
    const x = Tensor.fromArray(xs, [1, C, H, W], true);
    const y = concat([x, x]);
    const out = await y.read();
    const { err } = maxError(out, (i) => xs[i % (C * PLANE)]);
    expect(err).toBe(0); // a copy
    y.release();
    x.release();
  });
});
