// Ops on tensors above the adapter's real storage-binding limit (llvmpipe: 128 MiB), checked against CPU
// references. Other tests lower the limit to exercise the splitting on small tensors; this one uses the real one.
import { beforeAll, describe, expect, it } from "vitest";
import { concat } from "../src/nn/ops/concat.ts";
import { relu } from "../src/nn/ops/elementwise.ts";
import { gate } from "../src/nn/ops/gate.ts";
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
