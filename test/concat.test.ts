import { beforeAll, describe, expect, it } from "vitest";
import { concat } from "../src/nn/ops/concat.ts";
import { backward } from "../src/nn/autograd.ts";
import { Tensor } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";
import { concatRef } from "./ref/concat.ts";

// Pure copies: bit-exact.
const exact = { atol: 0, rtol: 0 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

describe("concat", () => {
  const cases: [number, number[], number, number][] = [[2, [3, 5], 3, 7], [3, [1, 2, 7], 4, 5], [1, [6], 2, 2]];
  for (const [n, channels, h, w] of cases) {
    it(`matches the reference and its gradients for N=${n}, C=[${channels}], ${h}×${w}`, () =>
      gradCheck({
        inputs: channels.map((c, i) => ({ name: `x${i}`, data: rand(n * c * h * w, i + 1), shape: [n, c, h, w] })),
        ref: (xs) => concatRef(xs, channels, n, h * w),
        op: (xs) => concat(xs),
        forwardTol: exact,
        // Finite differences of a linear map in float64: exact to ~1e-9.
        gradTol: { atol: 1e-8, rtol: 0 },
      }));
  }

  it("gives gradients only to the pieces that need them", async () => {
    const a = Tensor.fromArray(Float32Array.from(rand(2 * 3 * 4, 5)), [2, 3, 2, 2], true);
    const b = Tensor.fromArray(Float32Array.from(rand(2 * 1 * 4, 6)), [2, 1, 2, 2], false);
    const y = concat([a, b]);
    const g = Tensor.fromArray(Float32Array.from(rand(2 * 4 * 4, 7)), [2, 4, 2, 2]);
    backward(y, g);
    const gd = await g.read();
    const expected = [...gd.subarray(0, 12), ...gd.subarray(16, 28)];
    expect(Array.from(await a.grad!.read())).toEqual(expected);
    expect(b.grad).toBeNull();
    for (const t of [a, b, y, g, a.grad!]) t.release();
  });

  it("handles tensors larger than one binding (the limit lowered to 64 KiB)", async () => {
    // 2×(5+3)×60×70: a piece's per-item block is up to 84,000 bytes, over the 64 KiB limit; copies bind nothing.
    const [n, h, w] = [2, 60, 70];
    const channels = [5, 3];
    const xs = channels.map((c, i) => rand(n * c * h * w, 10 + i));
    await withBindingLimit(rt, 64 * 1024, async () => {
      const ts = xs.map((x, i) => Tensor.fromArray(Float32Array.from(x), [n, channels[i], h, w], true));
      const y = concat(ts);
      expectClose(await y.read(), concatRef(xs, channels, n, h * w), exact, "y");
      const g = Tensor.fromArray(await y.read(), y.shape);
      backward(y, g);
      for (let i = 0; i < ts.length; i++) expectClose(await ts[i].grad!.read(), xs[i], exact, `grad ${i}`);
      for (const t of [...ts, ...ts.map((t) => t.grad!), y, g]) t.release();
    });
  });
});
