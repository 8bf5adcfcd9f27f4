import { beforeAll, describe, expect, it } from "vitest";
import { backward, noGrad } from "../src/nn/autograd.ts";
import { add } from "../src/nn/ops/elementwise.ts";
import { batchNorm2d } from "../src/nn/ops/batch_norm2d.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";
import {
  batchNorm2dEvalRef,
  batchNorm2dTrainBackwardRef,
  batchNorm2dTrainRef,
  runningStatsRef,
  type Shape4,
} from "./ref/batch_norm2d.ts";

// Normalised outputs are O(1); float32 rounding of x − mean and of the statistics, amplified by 1/σ (σ ≈ 0.6 here).
const fwd = { atol: 2e-5, rtol: 2e-5 };
// Float32 backward vs float64 finite differences: dx carries 1/σ and sums over N·H·W terms of O(1).
const grad = { atol: 1e-4, rtol: 1e-4 };
// Running stats are a momentum blend of float32 statistics: a few ulps.
const stats = { atol: 1e-6, rtol: 1e-5 };
const momentum = 0.1;

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe("batch_norm2d", () => {
  // Odd shapes: C not a multiple of 4, 5×7 planes (scalar path), 1×1 planes with N > 1, 4×4 planes (vec4 path).
  const shapes: Shape4[] = [[2, 6, 5, 7], [3, 5, 1, 1], [2, 3, 4, 4], [1, 4, 3, 3]];
  for (const shape of shapes) {
    const c = shape[1];
    it(`training, affine [${shape}]`, () =>
      gradCheck({
        inputs: [
          { name: "x", data: rand(sizeOf(shape), 1), shape },
          { name: "weight", data: rand(c, 2, 0.5, 1.5), shape: [c] },
          { name: "bias", data: rand(c, 3), shape: [c] },
          { name: "running_mean", data: new Float64Array(c), shape: [c], grad: false },
          { name: "running_var", data: new Float64Array(c).fill(1), shape: [c], grad: false },
        ],
        ref: ([x, w, b]) => batchNorm2dTrainRef(x, shape, w, b),
        op: ([x, w, b, rm, rv]) => batchNorm2d(x, w, b, rm, rv, { training: true, momentum }),
        forwardTol: fwd,
        gradTol: grad,
      }));
  }

  it("training, no affine", () => {
    const shape: Shape4 = [2, 5, 3, 4];
    return gradCheck({
      inputs: [
        { name: "x", data: rand(sizeOf(shape), 4, -2, 3), shape },
        { name: "running_mean", data: new Float64Array(5), shape: [5], grad: false },
        { name: "running_var", data: new Float64Array(5).fill(1), shape: [5], grad: false },
      ],
      ref: ([x]) => batchNorm2dTrainRef(x, shape, null, null),
      op: ([x, rm, rv]) => batchNorm2d(x, null, null, rm, rv, { training: true, momentum }),
      forwardTol: fwd,
      gradTol: grad,
    });
  });

  for (const shape of [[2, 6, 5, 7], [2, 3, 4, 4]] as Shape4[]) {
    const c = shape[1];
    it(`eval, affine [${shape}]`, () =>
      gradCheck({
        inputs: [
          { name: "x", data: rand(sizeOf(shape), 5, -2, 2), shape },
          { name: "weight", data: rand(c, 6, 0.5, 1.5), shape: [c] },
          { name: "bias", data: rand(c, 7), shape: [c] },
          { name: "running_mean", data: rand(c, 8, -0.5, 0.5), shape: [c], grad: false },
          { name: "running_var", data: rand(c, 9, 0.5, 2), shape: [c], grad: false },
        ],
        ref: ([x, w, b, rm, rv]) => batchNorm2dEvalRef(x, shape, rm, rv, w, b),
        op: ([x, w, b, rm, rv]) => batchNorm2d(x, w, b, rm, rv, { training: false, momentum }),
        forwardTol: fwd,
        gradTol: grad,
      }));
  }

  it("eval, no affine", () => {
    const shape: Shape4 = [3, 2, 2, 3];
    return gradCheck({
      inputs: [
        { name: "x", data: rand(sizeOf(shape), 10), shape },
        { name: "running_mean", data: rand(2, 11), shape: [2], grad: false },
        { name: "running_var", data: rand(2, 12, 0.5, 2), shape: [2], grad: false },
      ],
      ref: ([x, rm, rv]) => batchNorm2dEvalRef(x, shape, rm, rv, null, null),
      op: ([x, rm, rv]) => batchNorm2d(x, null, null, rm, rv, { training: false, momentum }),
      forwardTol: fwd,
      gradTol: grad,
    });
  });

  it("a module used twice: both uses add to the weight/bias gradients", () => {
    const shape: Shape4 = [2, 3, 5, 3];
    const c = shape[1];
    return gradCheck({
      inputs: [
        { name: "x", data: rand(sizeOf(shape), 13), shape },
        { name: "weight", data: rand(c, 14, 0.5, 1.5), shape: [c] },
        { name: "bias", data: rand(c, 15), shape: [c] },
        { name: "running_mean", data: new Float64Array(c), shape: [c], grad: false },
        { name: "running_var", data: new Float64Array(c).fill(1), shape: [c], grad: false },
      ],
      // bn(bn(x) + x), the same weight and bias in both calls.
      ref: ([x, w, b]) => {
        const y1 = batchNorm2dTrainRef(x, shape, w, b);
        return batchNorm2dTrainRef(y1.map((v, i) => v + x[i]), shape, w, b);
      },
      op: ([x, w, b, rm, rv]) => {
        const opts = { training: true, momentum };
        return batchNorm2d(add(batchNorm2d(x, w, b, rm, rv, opts), x), w, b, rm, rv, opts);
      },
      forwardTol: fwd,
      gradTol: grad,
    });
  });

  it("training updates the running stats once per call, eval leaves them alone", async () => {
    const shape: Shape4 = [3, 5, 4, 3];
    const c = shape[1];
    const x1 = rand(sizeOf(shape), 16, -1, 3);
    const x2 = rand(sizeOf(shape), 17, 2, 2.5);
    const rm0 = rand(c, 18);
    const rv0 = rand(c, 19, 0.5, 2);
    const w = Tensor.fromArray(Float32Array.from(rand(c, 20)), [c]);
    const b = Tensor.fromArray(Float32Array.from(rand(c, 21)), [c]);
    const rm = Tensor.fromArray(Float32Array.from(rm0), [c]);
    const rv = Tensor.fromArray(Float32Array.from(rv0), [c]);
    const t1 = Tensor.fromArray(Float32Array.from(x1), shape);
    const t2 = Tensor.fromArray(Float32Array.from(x2), shape);
    const opts = { training: true, momentum: 0.005 };
    // Two calls of one module (deepCR's blocks), without grad: nothing is recorded, the stats still update.
    noGrad(() => {
      batchNorm2d(t1, w, b, rm, rv, opts).release();
      batchNorm2d(t2, w, b, rm, rv, opts).release();
    });
    const r1 = runningStatsRef(x1, shape, rm0, rv0, 0.005);
    const r2 = runningStatsRef(x2, shape, r1.mean, r1.variance, 0.005);
    expectClose(await rm.read(), r2.mean, stats, "running_mean");
    expectClose(await rv.read(), r2.variance, stats, "running_var");
    const y = batchNorm2d(t1, w, b, rm, rv, { training: false, momentum: 0.005 });
    expectClose(await rm.read(), r2.mean, stats, "running_mean after eval");
    expectClose(await rv.read(), r2.variance, stats, "running_var after eval");
    expect(y.node).toBeNull();
    for (const t of [w, b, rm, rv, t1, t2, y]) t.release();
  });

  it("rejects training with one value per channel", () => {
    const x = Tensor.zeros([1, 2, 1, 1]);
    const rm = Tensor.zeros([2]);
    const rv = Tensor.full([2], 1);
    expect(() => batchNorm2d(x, null, null, rm, rv, { training: true, momentum })).toThrow(/more than 1 value/);
    for (const t of [x, rm, rv]) t.release();
  });

  it("keeps its digits for inputs with a large mean (1000 + noise)", async () => {
    const shape: Shape4 = [4, 3, 16, 16];
    const c = shape[1];
    const x = rand(sizeOf(shape), 22, 999, 1001);
    const tx = Tensor.fromArray(Float32Array.from(x), shape);
    const rm = Tensor.zeros([c]);
    const rv = Tensor.full([c], 1);
    const y = batchNorm2d(tx, null, null, rm, rv, { training: true, momentum });
    // x itself is known to ulp(1000) = 6e-5 and σ ≈ 0.58: ~1e-4 of a normalised value is the float32 floor.
    expectClose(await y.read(), batchNorm2dTrainRef(x, shape, null, null), { atol: 3e-4, rtol: 0 }, "y");
    const r = runningStatsRef(x, shape, new Float64Array(c), new Float64Array(c).fill(1), momentum);
    // The running variance keeps ~5 digits (a cancelling E[x²] − E[x]² would have none left at this mean).
    expectClose(await rv.read(), r.variance, { atol: 0, rtol: 1e-4 }, "running_var");
    for (const t of [tx, rm, rv, y]) t.release();
  });

  // 4 M elements per channel with a nonzero mean (batch 4 of ~1024² tiles). Odd planes take the scalar path: 131 072
  // partials per channel, more than one llvmpipe invocation may loop over (65 535 iterations).
  it("matches float64 on channels of 4 M elements with mean 3", async () => {
    const shape: Shape4 = [4, 2, 1023, 1023];
    const c = shape[1];
    const n = sizeOf(shape);
    const x = rand(n, 27, 2, 4);
    // Correlated with x and of nonzero mean, so Σdy and Σdy·x̂ are large and their relative error means something.
    const u = rand(n, 28, -0.5, 0.5);
    const dy = x.map((v, i) => Math.fround(v - 2.5 + u[i]));
    const w = rand(c, 29, 0.5, 1.5);
    const b = rand(c, 30);
    const tx = Tensor.fromArray(Float32Array.from(x), shape, true);
    const tw = Tensor.fromArray(Float32Array.from(w), [c], true);
    const tb = Tensor.fromArray(Float32Array.from(b), [c], true);
    const rm = Tensor.zeros([c]);
    const rv = Tensor.full([c], 1);
    const tdy = Tensor.fromArray(Float32Array.from(dy), shape);
    const y = batchNorm2d(tx, tw, tb, rm, rv, { training: true, momentum });
    // x is exact in float32; (x − mean)·invstd·w + b rounds to a few ulps of O(1) values (~3e-7 measured) and the
    // tree-merged float32 statistics are good to ~1e-7 relative (|x̂| ≤ 1.8): 2e-5 is a wide margin over both.
    expectClose(await y.read(), batchNorm2dTrainRef(x, shape, w, b), { atol: 2e-5, rtol: 0 }, "y");
    backward(y, tdy);
    const g = batchNorm2dTrainBackwardRef(x, dy, shape, w);
    // Sums of 4 M terms per channel, about as large as Σ|term|: a float32 tree keeps them to ~2e-7 relative.
    const sums = { atol: 0, rtol: 1e-4 };
    expectClose(await tw.grad!.read(), g.dweight, sums, "dweight");
    expectClose(await tb.grad!.read(), g.dbias, sums, "dbias");
    // dx = w·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)): O(1) values from the same sums, as accurate as y.
    expectClose(await tx.grad!.read(), g.dx, { atol: 2e-5, rtol: 0 }, "dx");
    for (const t of [tx, tw, tb, rm, rv, tdy, y]) {
      t.grad?.release();
      t.release();
    }
  });

  // Planes of 40×40 (vec4 path) and 61×67 (scalar path), 64 KiB bindings: several chunks, channels split across them.
  for (const shape of [[3, 5, 40, 40], [2, 3, 61, 67]] as Shape4[]) {
    it(`splits a tensor larger than one binding [${shape}]`, async () => {
      const c = shape[1];
      const n = sizeOf(shape);
      const x = rand(n, 23, -1, 2);
      const dy = rand(n, 24);
      const w = rand(c, 25, 0.5, 1.5);
      const b = rand(c, 26);
      await withBindingLimit(rt, 64 * 1024, async () => {
        const tx = Tensor.fromArray(Float32Array.from(x), shape, true);
        const tw = Tensor.fromArray(Float32Array.from(w), [c], true);
        const tb = Tensor.fromArray(Float32Array.from(b), [c], true);
        const rm = Tensor.zeros([c]);
        const rv = Tensor.full([c], 1);
        const tdy = Tensor.fromArray(Float32Array.from(dy), shape);
        const y = batchNorm2d(tx, tw, tb, rm, rv, { training: true, momentum });
        expectClose(await y.read(), batchNorm2dTrainRef(x, shape, w, b), fwd, "y");
        const r = runningStatsRef(x, shape, new Float64Array(c), new Float64Array(c).fill(1), momentum);
        expectClose(await rv.read(), r.variance, stats, "running_var");
        backward(y, tdy);
        const g = batchNorm2dTrainBackwardRef(x, dy, shape, w);
        // Sums over ~5000–8000 terms per channel: float32 accumulation error grows a little with the count.
        const big = { atol: 2e-4, rtol: 2e-4 };
        expectClose(await tx.grad!.read(), g.dx, big, "dx");
        expectClose(await tw.grad!.read(), g.dweight, big, "dweight");
        expectClose(await tb.grad!.read(), g.dbias, big, "dbias");
        for (const t of [tx, tw, tb, rm, rv, tdy, y]) {
          t.grad?.release();
          t.release();
        }
      });
    });
  }
});
