import { beforeAll, describe, expect, it } from "vitest";
import { backward, noGrad, zeroGrad } from "../src/nn/autograd.ts";
import { add, mul, relu, scale } from "../src/nn/ops/elementwise.ts";
import { Tensor, tidy } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, rand } from "./helpers.ts";

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

// Values are small sums of float32 products: a few ulps.
const tol = { atol: 1e-6, rtol: 1e-6 };

describe("autograd", () => {
  it("accumulates the gradient of a tensor used several times (y = x·x + x)", async () => {
    const xs = rand(17, 1);
    const x = Tensor.fromArray(Float32Array.from(xs), [17], true);
    const g = Tensor.full([17], 1);
    // tidy spans forward and backward: releasing an intermediate also frees its graph node.
    const y = tidy(() => {
      const out = add(mul(x, x), x);
      backward(out, g);
      return out;
    });
    expectClose(await x.grad!.read(), xs.map((v) => 2 * v + 1), tol, "dy/dx");
    // A second backward adds into .grad, as PyTorch does without zero_grad.
    const y2 = scale(x, 3);
    backward(y2, g);
    expectClose(await x.grad!.read(), xs.map((v) => 2 * v + 1 + 3), tol, "accumulated");
    zeroGrad([x]);
    expect(x.grad).toBeNull();
    for (const t of [x, y, y2, g]) t.release();
  });

  it("a diamond graph sums both paths (skip connection)", async () => {
    const xs = rand(10, 2);
    const x = Tensor.fromArray(Float32Array.from(xs), [10], true);
    const y = tidy(() => {
      const h = relu(x);
      const out = add(scale(h, 2), mul(h, h)); // d/dx = (2 + 2h)·[x>0]
      backward(out, Tensor.full([10], 1));
      return out;
    });
    expectClose(await x.grad!.read(), xs.map((v) => (v > 0 ? 2 + 2 * v : 0)), tol, "dy/dx");
    x.release();
    y.release();
  });

  it("backward frees the graph and intermediate gradients", () => {
    const x = Tensor.fromArray(rand(64, 3), [64], true);
    const live = rt.pool.liveCount;
    const h1 = scale(x, 2);
    const h2 = relu(h1);
    const y = scale(h2, 0.5);
    const seed = Tensor.full([64], 1);
    backward(y, seed);
    expect([h1, h2, y].map((t) => t.node)).toEqual([null, null, null]);
    for (const t of [h1, h2, y, seed]) t.release();
    // Only x.grad remains live beyond what was there before: every intermediate gradient was released.
    expect(rt.pool.liveCount - live).toBe(1);
    x.grad!.release();
    x.release();
  });

  it("tidy releases everything it created except what it returns or keeps", () => {
    const x = Tensor.fromArray(rand(8, 4), [8]);
    const live = rt.pool.liveCount;
    let kept: Tensor | null = null;
    const out = tidy(() => {
      const a = relu(x);
      kept = scale(a, 2).keep();
      return add(a, a);
    });
    expect(rt.pool.liveCount - live).toBe(2);
    expect(out.released).toBe(false);
    expect(kept!.released).toBe(false);
    out.release();
    kept!.release();
    x.release();
    expect(rt.pool.liveCount).toBe(live - 1);
  });

  it("noGrad records no graph", () => {
    const x = Tensor.fromArray(rand(8, 5), [8], true);
    const y = noGrad(() => relu(x));
    expect(y.node).toBeNull();
    expect(() => backward(y)).toThrow(/does not require grad/);
    x.release();
    y.release();
  });

  it("using a released tensor is a clear error", () => {
    const x = Tensor.fromArray([1, 2], [2]);
    x.release();
    expect(() => relu(x)).toThrow(/was released/);
  });
});
