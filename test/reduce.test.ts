import { beforeAll, describe, expect, it } from "vitest";
import { mean, sum } from "../src/nn/ops/reduce.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";

const sumRef = (x: Float64Array) => Float64Array.of(x.reduce((a, b) => a + b, 0));
const meanRef = (x: Float64Array) => Float64Array.of(x.reduce((a, b) => a + b, 0) / x.length);
// Float32 tree sums of ≤ 1,000 values in [-1, 1): error ≲ 16·log16(n)·ε·Σ|x| ≈ 1e-4 at worst, far less in practice.
const fwd = { atol: 2e-5, rtol: 1e-6 };
// The gradient is the upstream value (÷ n for the mean), exact up to one rounding.
const grad = { atol: 1e-7, rtol: 1e-6 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

describe("reduce", () => {
  for (const shape of [[2, 3, 5, 7], [1], [3, 17], [1000]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    it(`sum [${shape}]`, () =>
      gradCheck({
        inputs: [{ name: "x", data: rand(n, 1), shape }],
        ref: ([x]) => sumRef(x),
        op: ([x]) => sum(x),
        forwardTol: fwd,
        gradTol: grad,
      }));
    it(`mean [${shape}]`, () =>
      gradCheck({
        inputs: [{ name: "x", data: rand(n, 2), shape }],
        ref: ([x]) => meanRef(x),
        op: ([x]) => mean(x),
        forwardTol: fwd,
        gradTol: grad,
      }));
  }

  it("sums 16×1×256² values to float32 precision", async () => {
    const n = 16 * 256 * 256;
    const data = rand(n, 3, 0, 1);
    const x = Tensor.fromArray(Float32Array.from(data), [16, 1, 256, 256]);
    const s = sum(x);
    const m = mean(x);
    // Positive terms: the tree's bound 16·5 levels·ε ≈ 5e-6 relative; a sequential float32 sum would be ~1e-4 off.
    expectClose(await s.read(), sumRef(data), { atol: 0, rtol: 5e-6 }, "sum");
    expectClose(await m.read(), meanRef(data), { atol: 0, rtol: 5e-6 }, "mean");
    for (const t of [x, s, m]) t.release();
  });

  it("splits passes over several bindings when the limit is lowered", async () => {
    const n = 100_003; // 7 chunks of a 64 KiB binding in the first pass
    const data = rand(n, 4);
    await withBindingLimit(rt, 64 * 1024, async () => {
      const x = Tensor.fromArray(Float32Array.from(data), [n]);
      const m = mean(x);
      // Mixed signs: absolute error against Σ|x|/n ≈ 0.5, bound ≈ 16·5·ε·0.5.
      expectClose(await m.read(), meanRef(data), { atol: 5e-6, rtol: 0 }, "mean");
      x.release();
      m.release();
    });
  });

  it("gives 0 for an empty tensor", async () => {
    const x = Tensor.empty([0, 3]);
    const s = sum(x);
    expect(Array.from(await s.read())).toEqual([0]);
    x.release();
    s.release();
  });
});
