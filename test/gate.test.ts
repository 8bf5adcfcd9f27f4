import { beforeAll, describe, it } from "vitest";
import { gate } from "../src/nn/ops/gate.ts";
import { backward } from "../src/nn/autograd.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";
import { gateRef } from "./ref/gate.ts";

// One float32 product per output: correctly rounded, so within an ulp of the float64 value.
const fwd = { atol: 1e-7, rtol: 1e-6 };
// dpsi sums C float32 products (C ≤ 7 here); dx is one product: a few ulps.
const grad = { atol: 1e-6, rtol: 1e-5 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

describe("gate", () => {
  // H·W % 4 == 0 takes the vec4 entry points ([3,7,4,5], [2,3,4,6], [2,11,3,4]); the others the scalar ones.
  // C > 8 ([2,11,3,4], [2,9,3,3]) sums dpsi over two channel blocks.
  const shapes = [[2, 3, 5, 7], [3, 7, 4, 5], [2, 3, 4, 6], [2, 11, 3, 4], [2, 9, 3, 3], [1, 1, 1, 1], [2, 1, 3, 3]];
  for (const [n, c, h, w] of shapes) {
    it(`matches the reference and its gradients at [${n},${c},${h},${w}]`, () =>
      gradCheck({
        inputs: [
          { name: "x", data: rand(n * c * h * w, 1), shape: [n, c, h, w] },
          { name: "psi", data: rand(n * h * w, 2, 0, 1), shape: [n, 1, h, w] },
        ],
        ref: ([x, psi]) => gateRef(x, psi, n, c, h * w),
        op: ([x, psi]) => gate(x, psi),
        forwardTol: fwd,
        gradTol: grad,
      }));
  }

  // 64 KiB bindings hold 16,320 floats: a 3×5×61×67 tensor (4,087 px planes) splits into blocks of 3 planes for the
  // forward and into 3-channel blocks per item (accumulated) for dpsi; 3×5×60×68 does the same with 4 planes on the
  // vec4 path; 5×4×30×30 packs 4 whole items per dpsi dispatch.
  for (const [n, c, h, w] of [[3, 5, 61, 67], [3, 5, 60, 68], [5, 4, 30, 30]]) {
    it(`splits [${n},${c},${h},${w}] over several bindings when the limit is lowered`, async () => {
      const plane = h * w;
      const xd = rand(n * c * plane, 3);
      const pd = rand(n * plane, 4, 0, 1);
      const gd = rand(n * c * plane, 5);
      await withBindingLimit(rt, 64 * 1024, async () => {
        const x = Tensor.fromArray(Float32Array.from(xd), [n, c, h, w], true);
        const psi = Tensor.fromArray(Float32Array.from(pd), [n, 1, h, w], true);
        const g = Tensor.fromArray(Float32Array.from(gd), [n, c, h, w]);
        const y = gate(x, psi);
        expectClose(await y.read(), gateRef(xd, pd, n, c, plane), fwd, "y");
        backward(y, g);
        expectClose(await x.grad!.read(), gateRef(gd, pd, n, c, plane), grad, "dx");
        const dpsi = new Float64Array(n * plane);
        for (let b = 0; b < n; b++) {
          for (let ch = 0; ch < c; ch++) {
            for (let i = 0; i < plane; i++) {
              dpsi[b * plane + i] += gd[(b * c + ch) * plane + i] * xd[(b * c + ch) * plane + i];
            }
          }
        }
        expectClose(await psi.grad!.read(), dpsi, grad, "dpsi");
        for (const t of [x, psi, g, y, x.grad!, psi.grad!]) t.release();
      });
    });
  }
});
