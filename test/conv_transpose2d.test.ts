import { beforeAll, describe, it } from "vitest";
import { backward } from "../src/nn/autograd.ts";
import { convTranspose2dBackwardBias } from "../src/kernels/conv_transpose2d.ts";
import { convTranspose2d } from "../src/nn/ops/conv_transpose2d.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";
import { convTranspose2dGradsRef, convTranspose2dRef, type Dims } from "./ref/conv_transpose2d.ts";

// Forward: a float32 sum of cin products of values in [-1, 1]: rounding grows like √cin ulps of the sum.
const fwd = { atol: 1e-5, rtol: 1e-5 };
// Gradients: float32 sums of up to n·h·w·4 products (the weight gradient) against float64 finite differences.
const grad = { atol: 5e-5, rtol: 5e-5 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

function check(d: Dims, bias: boolean, seed: number, trainWeights = true): Promise<void> {
  const xShape = [d.n, d.cin, d.h, d.w];
  const wShape = [d.cin, d.cout, 2, 2];
  const inputs = [
    { name: "x", data: rand(d.n * d.cin * d.h * d.w, seed), shape: xShape },
    { name: "w", data: rand(d.cin * d.cout * 4, seed + 1), shape: wShape, grad: trainWeights },
  ];
  if (bias) inputs.push({ name: "b", data: rand(d.cout, seed + 2), shape: [d.cout] });
  return gradCheck({
    inputs,
    ref: ([x, w, b]) => convTranspose2dRef(x, w, bias ? b : null, d),
    op: ([x, w, b]) => convTranspose2d(x, w, bias ? b : null),
    forwardTol: fwd,
    gradTol: grad,
    seed: seed + 3,
  });
}

describe("convTranspose2d 2×2 stride 2", () => {
  const cases: [string, Dims][] = [
    ["odd width (scalar kernels), 3→5, batch 2, 5×7", { n: 2, cin: 3, cout: 5, h: 5, w: 7 }],
    ["1×1 input, 1→1", { n: 1, cin: 1, cout: 1, h: 1, w: 1 }],
    ["width 8 (vec4 kernels), 3→5, batch 2, 3×8", { n: 2, cin: 3, cout: 5, h: 3, w: 8 }],
    ["width 4, 17→9 (partial channel blocks), 2×4", { n: 2, cin: 17, cout: 9, h: 2, w: 4 }],
    ["width 12 (a 16-pixel tile spans rows), 2→3, 3×12", { n: 1, cin: 2, cout: 3, h: 3, w: 12 }],
  ];
  cases.forEach(([name, d], k) => it(name, () => check(d, true, 10 * k + 1)));
  it("without bias", () => check({ n: 2, cin: 3, cout: 5, h: 2, w: 4 }, false, 77));
  // Frozen weights: the bias gradient comes from its own pass over dy instead of the weight-gradient kernel.
  it("frozen weights, vec4 kernels", () => check({ n: 2, cin: 3, cout: 5, h: 3, w: 8 }, true, 81, false));
  it("frozen weights, scalar kernels", () => check({ n: 2, cin: 3, cout: 5, h: 5, w: 7 }, true, 91, false));

  // 64 KiB bindings: x holds 20 channels of 32×32 (or 31×33) per sample, more than fits, so the forward splits its
  // reduction over input channels, the input gradient over output channels, and every kernel runs per chunk.
  const splitCases: [string, Dims][] = [
    ["channel chunks, vec4 kernels", { n: 2, cin: 20, cout: 5, h: 32, w: 32 }],
    ["channel chunks, scalar kernels", { n: 2, cin: 20, cout: 5, h: 31, w: 33 }],
    ["sample chunks", { n: 5, cin: 3, cout: 4, h: 16, w: 16 }],
  ];
  splitCases.forEach(([name, d], k) =>
    it(`splits over several bindings: ${name}`, async () => {
      const x = rand(d.n * d.cin * d.h * d.w, 200 + k);
      const w = rand(d.cin * d.cout * 4, 300 + k);
      const b = rand(d.cout, 400 + k);
      const dy = rand(d.n * d.cout * 4 * d.h * d.w, 500 + k);
      const want = convTranspose2dGradsRef(x, w, dy, d);
      await withBindingLimit(rt, 64 * 1024, async () => {
        const xt = Tensor.fromArray(Float32Array.from(x), [d.n, d.cin, d.h, d.w], true);
        const wt = Tensor.fromArray(Float32Array.from(w), [d.cin, d.cout, 2, 2], true);
        const bt = Tensor.fromArray(Float32Array.from(b), [d.cout], true);
        const y = convTranspose2d(xt, wt, bt);
        expectClose(await y.read(), convTranspose2dRef(x, w, b, d), fwd, "y");
        const g = Tensor.fromArray(Float32Array.from(dy), y.shape);
        backward(y, g);
        expectClose(await xt.grad!.read(), want.dx, fwd, "dx");
        // Sums of up to n·h·w·4 products of values in [-1, 1] (magnitudes ~50): a few float32 ulps of that.
        const sums = { atol: 1e-4, rtol: 1e-5 };
        expectClose(await wt.grad!.read(), want.dw, sums, "dw");
        expectClose(await bt.grad!.read(), want.db, sums, "db");
        // The bias gradient's own kernel, chunked the same way.
        const db = Tensor.empty([d.cout]);
        convTranspose2dBackwardBias(rt, g.buffer, db.buffer, d);
        expectClose(await db.read(), want.db, sums, "db (own pass)");
        for (const t of [xt.grad!, wt.grad!, bt.grad!, xt, wt, bt, y, g, db]) t.release();
      });
    })
  );
});
