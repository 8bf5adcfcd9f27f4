import { beforeAll, describe, expect, it } from "vitest";
import { add, mul, relu, reshape, scale, sigmoid } from "../src/nn/ops/elementwise.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";
import { addRef, mulRef, reluRef, sigmoidRef } from "./ref/elementwise.ts";

// float32 forward of a single op: a few ulps of the value.
const fwd = { atol: 1e-6, rtol: 1e-6 };
// Backward in float32 vs float64 finite differences (exact to ~1e-9): a few ulps of the gradient.
const grad = { atol: 1e-5, rtol: 1e-5 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

describe("elementwise", () => {
  for (const shape of [[2, 3, 5, 7], [1, 1, 1, 1], [3, 5]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    it(`add [${shape}]`, () =>
      gradCheck({
        inputs: [{ name: "a", data: rand(n, 1), shape }, { name: "b", data: rand(n, 2), shape }],
        ref: ([a, b]) => addRef(a, b),
        op: ([a, b]) => add(a, b),
        forwardTol: fwd,
        gradTol: grad,
      }));
    it(`mul [${shape}]`, () =>
      gradCheck({
        inputs: [{ name: "a", data: rand(n, 3), shape }, { name: "b", data: rand(n, 4), shape }],
        ref: ([a, b]) => mulRef(a, b),
        op: ([a, b]) => mul(a, b),
        forwardTol: fwd,
        gradTol: grad,
      }));
    it(`relu [${shape}]`, () =>
      gradCheck({
        // Keep |x| ≥ 0.01 so the finite difference never straddles the kink at 0.
        inputs: [{ name: "x", data: rand(n, 5).map((v) => (Math.abs(v) < 0.01 ? 0.5 : v)), shape }],
        ref: ([x]) => reluRef(x),
        op: ([x]) => relu(x),
        forwardTol: fwd,
        gradTol: grad,
      }));
    it(`sigmoid [${shape}]`, () =>
      gradCheck({
        inputs: [{ name: "x", data: rand(n, 6, -8, 8), shape }],
        ref: ([x]) => sigmoidRef(x),
        op: ([x]) => sigmoid(x),
        forwardTol: fwd,
        gradTol: grad,
      }));
  }

  it("sigmoid saturates without NaN at ±100", async () => {
    const x = Tensor.fromArray([-100, -30, 0, 30, 100], [5]);
    const y = sigmoid(x);
    expectClose(await y.read(), sigmoidRef(Float64Array.from([-100, -30, 0, 30, 100])), { atol: 1e-7, rtol: 1e-6 }, "y");
    x.release();
    y.release();
  });

  it("scale and reshape chain", () =>
    gradCheck({
      inputs: [{ name: "x", data: rand(24, 7), shape: [2, 3, 4] }],
      ref: ([x]) => x.map((v) => v * -2.5),
      op: ([x]) => reshape(scale(x, -2.5), [6, 4]),
      forwardTol: fwd,
      gradTol: grad,
    }));

  it("splits over several bindings when a tensor exceeds the binding limit", async () => {
    const n = 100_003; // 400 KB: 7 chunks of a 64 KiB binding
    const a = rand(n, 8);
    const b = rand(n, 9);
    await withBindingLimit(rt, 64 * 1024, async () => {
      const ta = Tensor.fromArray(Float32Array.from(a), [n]);
      const tb = Tensor.fromArray(Float32Array.from(b), [n]);
      const y = mul(add(ta, tb), tb);
      expectClose(await y.read(), mulRef(addRef(a, b), b), { atol: 1e-6, rtol: 1e-6 }, "y");
      expect(rt.maxBinding).toBe(64 * 1024);
    });
  });
});
