// The public entry point, used as the README shows: conv2d forward + backward on constant inputs, where every
// expected value can be counted by hand.
import { describe, expect, it } from "vitest";
import { backward, conv2d, init, kernels, noGrad, relu, Tensor } from "../src/index.ts";

describe("library entry point", () => {
  it("conv2d forward and backward through src/index.ts", async () => {
    await init();
    const x = Tensor.full([2, 3, 8, 8], 1, true);
    const w = Tensor.full([4, 3, 3, 3], 0.1, true);
    const b = Tensor.zeros([4], true);
    const y = conv2d(x, w, b);
    backward(y, Tensor.full(y.shape, 1));
    const out = await y.read();
    // Interior pixel: 3 channels × 9 taps × 0.1; corner pixel (padding 1): 3 × 4 taps × 0.1.
    expect(out[9]).toBeCloseTo(2.7, 5);
    expect(out[0]).toBeCloseTo(1.2, 5);
    const dw = await w.grad!.read();
    // dL/dw[tap] = Σ over 2 samples of the pixels whose tap lands inside: centre 8×8, corner 7×7.
    expect(dw[4]).toBeCloseTo(2 * 64, 3);
    expect(dw[0]).toBeCloseTo(2 * 49, 3);
    expect(Array.from(await b.grad!.read())).toEqual([128, 128, 128, 128]); // 2 × 8 × 8 ones
    for (const t of [x, w, b, y]) t.release();
  });

  it("exposes the raw kernels", async () => {
    await init();
    expect(typeof kernels.conv2dForward).toBe("function");
    const x = Tensor.fromArray([-1, 2], [2]);
    const y = noGrad(() => relu(x));
    expect(Array.from(await y.read())).toEqual([0, 2]);
  });
});
