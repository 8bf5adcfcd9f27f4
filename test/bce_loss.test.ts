import { beforeAll, describe, expect, it } from "vitest";
import { bceLoss } from "../src/nn/ops/bce_loss.ts";
import { backward } from "../src/nn/autograd.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";
import { bceGradRef, bceRef, type BceRefOptions } from "./ref/bce_loss.ts";

// Mean of float32 per-element losses (logs within a few ulps, tree-summed): a few ulps of the mean.
const fwd = { atol: 1e-6, rtol: 2e-6 };
// A handful of float32 operations per element against float64 finite differences (exact to ~1e-9 here).
const grad = { atol: 1e-7, rtol: 1e-5 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

/** Binary targets with a few soft ones (BCELoss accepts any t in [0, 1]). */
function targets(n: number, seed: number): Float64Array {
  return rand(n, seed, 0, 1).map((u, i) => (i % 7 === 3 ? Math.fround(u) : u < 0.3 ? 1 : 0));
}

/** A 0/1 ignore mask with about a quarter of the pixels ignored. */
function ignoreMask(n: number, seed: number): Float64Array {
  return rand(n, seed, 0, 1).map((u) => (u < 0.25 ? 1 : 0));
}

function toTensor(data: Float64Array, shape: number[]): Tensor {
  return Tensor.fromArray(Float32Array.from(data), shape);
}

describe("bce_loss", () => {
  for (const shape of [[2, 3, 5, 7], [3, 1, 4, 5]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const cases: [string, BceRefOptions][] = [
      ["plain", {}],
      ["weighted", { weight: rand(n, 3, 0.1, 3) }],
      ["with an ignore mask", { ignore: ignoreMask(n, 4) }],
      ["weighted with an ignore mask", { weight: rand(n, 5, 0.1, 3), ignore: ignoreMask(n, 6) }],
    ];
    for (const [label, o] of cases) {
      it(`${label} [${shape}]: forward and gradient`, () =>
        gradCheck({
          inputs: [
            // p in [0.05, 0.95]: away from the clamps, where the gradient is smooth.
            { name: "p", data: rand(n, 1, 0.05, 0.95), shape },
            { name: "t", data: targets(n, 2), shape, grad: false },
            ...(o.weight ? [{ name: "w", data: o.weight, shape, grad: false }] : []),
            ...(o.ignore ? [{ name: "ignore", data: o.ignore, shape, grad: false }] : []),
          ],
          ref: ([p, t]) => bceRef(p, t, o),
          op: ([p, t, ...rest]) => {
            const weight = o.weight ? rest[0] : undefined;
            const ignore = o.ignore ? rest[o.weight ? 1 : 0] : undefined;
            return bceLoss(p, t, { weight, ignore });
          },
          forwardTol: fwd,
          gradTol: grad,
        }));
    }
  }

  it("stays finite at p = 0 and 1 and near them, clamped like PyTorch", async () => {
    const tiny = Math.fround(1e-30);
    const below1 = 1 - 2 ** -24;
    const pv = Float64Array.of(0, 0, 1, 1, tiny, tiny, below1, below1, 1e-8, 0.5, 2 ** -20, 0.0625);
    const tv = Float64Array.of(0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0);
    const p = Tensor.fromArray(Float32Array.from(pv), [2, 1, 2, 3], true);
    const t = toTensor(tv, [2, 1, 2, 3]);
    const loss = bceLoss(p, t);
    const value = await loss.read();
    expect(Number.isFinite(value[0])).toBe(true);
    // The clamp makes p = 0 with t = 1 cost exactly 100; logs elsewhere within a few ulps.
    expectClose(value, bceRef(pv, tv), { atol: 0, rtol: 1e-6 }, "loss");
    backward(loss);
    const dp = await p.grad!.read();
    expect(dp.every(Number.isFinite)).toBe(true);
    // The 1e-12 floor on p(1 − p) gives ±1e12/n at the ends; float32 rounds 1e-12 by ~2e-8 relative.
    expectClose(dp, bceGradRef(pv, tv, 1), { atol: 0, rtol: 1e-6 }, "dp");
    for (const x of [p, t, loss, p.grad!]) x.release();
  });

  it("is 0 with a zero gradient when every pixel is ignored", async () => {
    const p = Tensor.fromArray([0, 0.3, 1, 0.9], [1, 1, 2, 2], true);
    const t = Tensor.fromArray([1, 0, 0, 1], [1, 1, 2, 2]);
    const ignore = Tensor.full([1, 1, 2, 2], 1);
    const loss = bceLoss(p, t, { ignore });
    expect(Array.from(await loss.read())).toEqual([0]);
    backward(loss);
    expect(Array.from(await p.grad!.read())).toEqual([0, 0, 0, 0]);
    for (const x of [p, t, ignore, loss, p.grad!]) x.release();
  });

  it("averages 16×1×256² pixels to float32 precision", async () => {
    const shape = [16, 1, 256, 256];
    const n = 16 * 256 * 256;
    const pv = rand(n, 7, 0, 1);
    const tv = pv.map((v, i) => (v > 0.99 || i % 1000 === 0 ? 1 : 0));
    const iv = ignoreMask(n, 8);
    const p = toTensor(pv, shape);
    const t = toTensor(tv, shape);
    const ignore = toTensor(iv, shape);
    const plain = bceLoss(p, t);
    const masked = bceLoss(p, t, { ignore });
    // Tree sums of 1 M positive terms: ~5e-6 relative at worst (see reduce.test.ts), plus a few ulps per log.
    expectClose(await plain.read(), bceRef(pv, tv), { atol: 0, rtol: 5e-6 }, "loss");
    expectClose(await masked.read(), bceRef(pv, tv, { ignore: iv }), { atol: 0, rtol: 5e-6 }, "masked loss");
    for (const x of [p, t, ignore, plain, masked]) x.release();
  });

  it("splits over several bindings when the limit is lowered", async () => {
    const n = 100_003; // 7 chunks of a 64 KiB binding
    const pv = rand(n, 9, 0.05, 0.95);
    const tv = targets(n, 10);
    const o = { weight: rand(n, 11, 0.5, 2), ignore: ignoreMask(n, 12) };
    await withBindingLimit(rt, 64 * 1024, async () => {
      const p = Tensor.fromArray(Float32Array.from(pv), [n], true);
      const [t, weight, ignore] = [tv, o.weight, o.ignore].map((d) => toTensor(d, [n]));
      const loss = bceLoss(p, t, { weight, ignore });
      // 1e5 positive terms: tree-sum error ≲ 4e-6 relative.
      expectClose(await loss.read(), bceRef(pv, tv, o), { atol: 0, rtol: 5e-6 }, "loss");
      backward(loss);
      // Per element a few float32 roundings of the analytic gradient.
      expectClose(await p.grad!.read(), bceGradRef(pv, tv, 1, o), { atol: 1e-12, rtol: 1e-5 }, "dp");
      for (const x of [p, t, weight, ignore, loss, p.grad!]) x.release();
    });
  });
});
