import { beforeAll, describe, expect, it } from "vitest";
import { backward, noGrad } from "../src/nn/autograd.ts";
import { maxPool2d } from "../src/nn/ops/max_pool2d.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";
import { maxPool2dGradRef, maxPool2dRef, type PoolDims } from "./ref/max_pool2d.ts";

// Max-pool only copies values: forward and gradients are exact.
const exact = { atol: 0, rtol: 0 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

/** Distinct values spaced 2/size apart in a seeded order: no ties, and far wider gaps than the FD step. */
function distinct(size: number, seed: number): Float64Array {
  const key = rand(size, seed);
  const order = [...key.keys()].sort((a, b) => key[a] - key[b]);
  const out = new Float64Array(size);
  order.forEach((k, rank) => (out[k] = Math.fround(-1 + (2 * (rank + 0.5)) / size)));
  return out;
}

const size = (d: PoolDims) => d.n * d.c * d.h * d.w;
const shapeOf = (d: PoolDims) => [d.n, d.c, d.h, d.w];

/** Forward and backward (upstream gradient dy) against the reference, values compared exactly. */
async function compare(x: Float64Array, d: PoolDims, seed: number): Promise<void> {
  const ref = maxPool2dRef(x, d);
  const dy = rand(ref.y.length, seed);
  const xt = Tensor.fromArray(Float32Array.from(x), shapeOf(d), true);
  const y = maxPool2d(xt);
  expectClose(await y.read(), ref.y, exact, "y");
  const g = Tensor.fromArray(Float32Array.from(dy), y.shape);
  backward(y, g);
  expectClose(await xt.grad!.read(), maxPool2dGradRef(dy, ref.argmax, x.length), exact, "dx");
  for (const t of [xt.grad!, xt, y, g]) t.release();
}

describe("maxPool2d 2×2 stride 2", () => {
  const cases: [string, PoolDims][] = [
    ["odd h and w (scalar kernels), batch 2, 3 channels, 5×7", { n: 2, c: 3, h: 5, w: 7 }],
    ["w % 4 == 0 (vector kernels) with an odd h, 5×8", { n: 2, c: 3, h: 5, w: 8 }],
    ["vector kernels, 6×12", { n: 1, c: 2, h: 6, w: 12 }],
    ["2×2 input", { n: 1, c: 1, h: 2, w: 2 }],
    ["3×3 input (one window, dropped row and column)", { n: 1, c: 1, h: 3, w: 3 }],
  ];
  cases.forEach(([name, d], k) =>
    it(name, () =>
      gradCheck({
        inputs: [{ name: "x", data: distinct(size(d), 100 + k), shape: shapeOf(d) }],
        ref: ([x]) => maxPool2dRef(x, d).y,
        op: ([x]) => maxPool2d(x),
        forwardTol: exact,
        // Distinct inputs: the FD of the float64 reference is exactly 0 or the upstream gradient, up to rounding.
        gradTol: { atol: 1e-9, rtol: 1e-9 },
      }))
  );

  for (const w of [8, 6]) {
    it(`ties go to the first maximum in row-major order (w = ${w})`, async () => {
      const d = { n: 1, c: 2, h: 4, w };
      // Values from {0, 1, 2}: most windows hold repeated values, many repeat their max.
      const x = rand(size(d), 7 + w).map((v) => Math.floor((v + 1) * 1.5));
      // Some windows made entirely equal.
      x.fill(1, 0, 2);
      x.fill(1, w, w + 2);
      await compare(x, d, 3);
    });
  }

  for (const w of [8, 6]) {
    it(`NaN wins its window and propagates (w = ${w})`, async () => {
      const d = { n: 1, c: 1, h: 2, w };
      const x = rand(size(d), 11);
      x[1] = NaN; // window 0: NaN at position 1
      x[2] = NaN; // window 1: NaNs at positions 0 and 3 → PyTorch's rule picks the last
      x[w + 3] = NaN;
      x[w + 4] = -Infinity; // window 2: -inf does not beat the others
      const ref = maxPool2dRef(x, d);
      const dy = rand(ref.y.length, 12);
      const xt = Tensor.fromArray(Float32Array.from(x), shapeOf(d), true);
      const y = maxPool2d(xt);
      const got = await y.read();
      for (let o = 0; o < ref.y.length; o++) {
        if (Number.isNaN(ref.y[o])) expect(Number.isNaN(got[o]), `y[${o}] is NaN`).toBe(true);
        else expect(got[o], `y[${o}]`).toBe(ref.y[o]);
      }
      const g = Tensor.fromArray(Float32Array.from(dy), y.shape);
      backward(y, g);
      expectClose(await xt.grad!.read(), maxPool2dGradRef(dy, ref.argmax, x.length), exact, "dx");
      for (const t of [xt.grad!, xt, y, g]) t.release();
    });
  }

  it("keeps no window positions under noGrad", async () => {
    const d = { n: 1, c: 2, h: 4, w: 8 };
    const x = distinct(size(d), 21);
    const xt = Tensor.fromArray(Float32Array.from(x), shapeOf(d), true);
    const y = noGrad(() => maxPool2d(xt));
    expect(y.node).toBeNull();
    expectClose(await y.read(), maxPool2dRef(x, d).y, exact, "y");
    xt.release();
    y.release();
  });

  for (const [h, w] of [[32, 32], [31, 33]]) {
    it(`splits planes over several bindings (${h}×${w}, 64 KiB limit)`, async () => {
      // 40 planes of ~4 KiB: 3 chunks of at most 15 planes.
      const d = { n: 2, c: 20, h, w };
      await withBindingLimit(rt, 64 * 1024, () => compare(distinct(size(d), 31), d, 32));
    });
  }
});
