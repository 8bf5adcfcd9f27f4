import { beforeAll, describe, expect, it } from "vitest";
import { backward } from "../src/nn/autograd.ts";
import { add } from "../src/nn/ops/elementwise.ts";
import { groupNorm } from "../src/nn/ops/group_norm.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";
import { groupNormBackwardRef, groupNormRef, type Shape4 } from "./ref/group_norm.ts";

// Normalised outputs are O(1); float32 rounding of x − mean and of the statistics, amplified by 1/σ (σ ≈ 0.6 here).
const fwd = { atol: 2e-5, rtol: 2e-5 };
// Float32 backward vs float64 finite differences: dx carries 1/σ and sums over (C/G)·H·W terms of O(1).
const grad = { atol: 1e-4, rtol: 1e-4 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe("group_norm", () => {
  // [shape, groups]: C = 6 in 3 groups with 5×7 planes (scalar path), 8 channels in 2 groups with 4×4 planes (vec4),
  // one channel per group, one group of all channels, 1×1 planes.
  const cases: [Shape4, number][] = [[[2, 6, 5, 7], 3], [[2, 8, 4, 4], 2], [[3, 5, 2, 3], 5], [[2, 5, 3, 3], 1], [
    [3, 4, 1, 1],
    2,
  ]];
  for (const [shape, groups] of cases) {
    const c = shape[1];
    it(`affine [${shape}] in ${groups} groups`, () =>
      gradCheck({
        inputs: [
          { name: "x", data: rand(sizeOf(shape), 1), shape },
          { name: "weight", data: rand(c, 2, 0.5, 1.5), shape: [c] },
          { name: "bias", data: rand(c, 3), shape: [c] },
        ],
        ref: ([x, w, b]) => groupNormRef(x, shape, groups, w, b),
        op: ([x, w, b]) => groupNorm(x, groups, w, b),
        forwardTol: fwd,
        gradTol: grad,
      }));
    it(`no affine [${shape}] in ${groups} groups`, () =>
      gradCheck({
        inputs: [{ name: "x", data: rand(sizeOf(shape), 4, -2, 3), shape }],
        ref: ([x]) => groupNormRef(x, shape, groups, null, null),
        op: ([x]) => groupNorm(x, groups, null, null),
        forwardTol: fwd,
        gradTol: grad,
      }));
  }

  it("GroupNorm(1, 1) over one channel (attention psi)", () => {
    const shape: Shape4 = [3, 1, 6, 5];
    return gradCheck({
      inputs: [
        { name: "x", data: rand(sizeOf(shape), 5), shape },
        { name: "weight", data: [1.3], shape: [1] },
        { name: "bias", data: [-0.2], shape: [1] },
      ].map((i) => ({ ...i, data: Float64Array.from(i.data) })),
      ref: ([x, w, b]) => groupNormRef(x, shape, 1, w, b),
      op: ([x, w, b]) => groupNorm(x, 1, w, b),
      forwardTol: fwd,
      gradTol: grad,
    });
  });

  it("a module used twice: both uses add to the weight/bias gradients", () => {
    const shape: Shape4 = [2, 6, 3, 4];
    return gradCheck({
      inputs: [
        { name: "x", data: rand(sizeOf(shape), 6), shape },
        { name: "weight", data: rand(6, 7, 0.5, 1.5), shape: [6] },
        { name: "bias", data: rand(6, 8), shape: [6] },
      ],
      ref: ([x, w, b]) => {
        const y1 = groupNormRef(x, shape, 3, w, b);
        return groupNormRef(y1.map((v, i) => v + x[i]), shape, 3, w, b);
      },
      op: ([x, w, b]) => groupNorm(add(groupNorm(x, 3, w, b), x), 3, w, b),
      forwardTol: fwd,
      gradTol: grad,
    });
  });

  it("rejects channels not divisible by the groups", () => {
    const x = Tensor.zeros([1, 6, 2, 2]);
    expect(() => groupNorm(x, 4, null, null)).toThrow(/cannot be split/);
    x.release();
  });

  it("keeps its digits for inputs with a large mean (1000 + noise)", async () => {
    const shape: Shape4 = [2, 16, 16, 16];
    const x = rand(sizeOf(shape), 9, 999, 1001);
    const tx = Tensor.fromArray(Float32Array.from(x), shape);
    const y = groupNorm(tx, 8, null, null);
    // x itself is known to ulp(1000) = 6e-5 and σ ≈ 0.58: ~1e-4 of a normalised value is the float32 floor.
    expectClose(await y.read(), groupNormRef(x, shape, 8, null, null), { atol: 3e-4, rtol: 0 }, "y");
    tx.release();
    y.release();
  });

  // One group of 4 M elements with a nonzero mean, as Cosmic-CoNN's GroupNorm on 1024² tiles. Odd planes take the
  // scalar path: 131 072 partials per group, more than one llvmpipe invocation may loop over (65 535 iterations).
  it("matches float64 on a group of 4 M elements with mean 3", async () => {
    const shape: Shape4 = [1, 4, 1023, 1023];
    const n = sizeOf(shape);
    const x = rand(n, 14, 2, 4);
    // Correlated with x and of nonzero mean, so Σdy and Σdy·x̂ are large and their relative error means something.
    const u = rand(n, 15, -0.5, 0.5);
    const dy = x.map((v, i) => Math.fround(v - 2.5 + u[i]));
    const w = rand(4, 16, 0.5, 1.5);
    const b = rand(4, 17);
    const tx = Tensor.fromArray(Float32Array.from(x), shape, true);
    const tw = Tensor.fromArray(Float32Array.from(w), [4], true);
    const tb = Tensor.fromArray(Float32Array.from(b), [4], true);
    const tdy = Tensor.fromArray(Float32Array.from(dy), shape);
    const y = groupNorm(tx, 1, tw, tb);
    // x is exact in float32; (x − mean)·invstd·w + b rounds to a few ulps of O(1) values (~3e-7 measured) and the
    // tree-merged float32 statistics are good to ~1e-7 relative (|x̂| ≤ 1.8): 2e-5 is a wide margin over both.
    expectClose(await y.read(), groupNormRef(x, shape, 1, w, b), { atol: 2e-5, rtol: 0 }, "y");
    backward(y, tdy);
    const g = groupNormBackwardRef(x, dy, shape, 1, w);
    // Sums of 1 M terms per channel, about as large as Σ|term|: a float32 tree keeps them to ~2e-7 relative.
    const sums = { atol: 0, rtol: 1e-4 };
    expectClose(await tw.grad!.read(), g.dweight, sums, "dweight");
    expectClose(await tb.grad!.read(), g.dbias, sums, "dbias");
    for (const t of [tx, tw, tb, tdy, y]) {
      t.grad?.release();
      t.release();
    }
  });

  // Planes of 40×40 (vec4 path) and 61×67 (scalar path), 64 KiB bindings: several chunks, groups split across them.
  for (const [shape, groups] of [[[3, 6, 40, 40], 3], [[2, 4, 61, 67], 2]] as [Shape4, number][]) {
    it(`splits a tensor larger than one binding [${shape}]`, async () => {
      const c = shape[1];
      const n = sizeOf(shape);
      const x = rand(n, 10, -1, 2);
      const dy = rand(n, 11);
      const w = rand(c, 12, 0.5, 1.5);
      const b = rand(c, 13);
      await withBindingLimit(rt, 64 * 1024, async () => {
        const tx = Tensor.fromArray(Float32Array.from(x), shape, true);
        const tw = Tensor.fromArray(Float32Array.from(w), [c], true);
        const tb = Tensor.fromArray(Float32Array.from(b), [c], true);
        const tdy = Tensor.fromArray(Float32Array.from(dy), shape);
        const y = groupNorm(tx, groups, tw, tb);
        expectClose(await y.read(), groupNormRef(x, shape, groups, w, b), fwd, "y");
        backward(y, tdy);
        const g = groupNormBackwardRef(x, dy, shape, groups, w);
        // Sums over ~3000–8000 terms per group: float32 accumulation error grows a little with the count.
        const big = { atol: 2e-4, rtol: 2e-4 };
        expectClose(await tx.grad!.read(), g.dx, big, "dx");
        expectClose(await tw.grad!.read(), g.dweight, big, "dweight");
        expectClose(await tb.grad!.read(), g.dbias, big, "dbias");
        for (const t of [tx, tw, tb, tdy, y]) {
          t.grad?.release();
          t.release();
        }
      });
    });
  }
});
