import { beforeAll, describe, expect, it } from "vitest";
import { Adam } from "../src/nn/optim.ts";
import { Tensor, tidy } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { expectClose, gpu, rand, withBindingLimit } from "./helpers.ts";
import { adamRefInit, type AdamRefOptions, adamRefStep } from "./ref/adam.ts";

// Float32 against float64 after up to 10 steps: each step's update is lr·O(1) with a few ulps of relative error,
// and the parameter itself (|p| < 1) is rounded to float32 every step: ≲ 10 ulps of 1 in all.
const tol = { atol: 1e-6, rtol: 1e-6 };
// Moments: a few float32 roundings per step of values ≤ 1.
const momentTol = { atol: 1e-7, rtol: 1e-5 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

const SHAPES = [[3, 5, 7], [13], [2, 3, 3, 3]];

/** Sets a fresh gradient tensor (seeded per step and parameter) on each parameter; returns the float64 copies. */
function setGrads(params: Tensor[], step: number): Float64Array[] {
  return params.map((p, k) => {
    const g = rand(p.size, 1000 * step + k);
    p.grad?.release();
    p.grad = Tensor.fromArray(Float32Array.from(g), p.shape).keep();
    return g;
  });
}

async function runAgainstReference(o: AdamRefOptions, checkAt: number[], lrAt?: (t: number) => number) {
  const init = SHAPES.map((s, k) => rand(s.reduce((a, b) => a * b, 1), 50 + k));
  const params = SHAPES.map((s, k) => Tensor.fromArray(Float32Array.from(init[k]), s, true));
  const ref = init.map((x) => Float64Array.from(x));
  const refState = ref.map((x) => adamRefInit(x.length));
  const opt = new Adam(params, { lr: o.lr, betas: [o.beta1, o.beta2], eps: o.eps, weightDecay: o.weightDecay });
  const last = Math.max(...checkAt);
  for (let t = 1; t <= last; t++) {
    const lr = lrAt ? lrAt(t) : o.lr;
    opt.lr = lr;
    const grads = setGrads(params, t);
    opt.step();
    ref.forEach((p, k) => adamRefStep(p, grads[k], refState[k], { ...o, lr }));
    if (checkAt.includes(t)) {
      for (let k = 0; k < params.length; k++) expectClose(await params[k].read(), ref[k], tol, `step ${t}: param ${k}`);
      const state = await opt.state();
      expect(state.steps).toEqual(params.map(() => t));
      for (let k = 0; k < params.length; k++) {
        expectClose(state.m[k], refState[k].m, momentTol, `step ${t}: m ${k}`);
        expectClose(state.v[k], refState[k].v, momentTol, `step ${t}: v ${k}`);
      }
    }
  }
  opt.zeroGrad();
  expect(params.every((p) => p.grad === null)).toBe(true);
  opt.release();
  for (const p of params) p.release();
}

describe("adam", () => {
  const defaults = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

  it("matches float64 Adam at steps 1, 2 and 10 with the defaults", () => runAgainstReference(defaults, [1, 2, 10]));

  it("matches with weight decay and the paper's lr 0.005", () =>
    runAgainstReference({ ...defaults, lr: 0.005, weightDecay: 0.01 }, [1, 2, 10]));

  it("matches with other betas, a large eps and a changing lr", () =>
    runAgainstReference({ lr: 0.01, beta1: 0.5, beta2: 0.9, eps: 1e-3, weightDecay: 0.1 }, [1, 3, 6], (t) => 0.01 / t));

  it("skips parameters without a gradient, without counting a step for them", async () => {
    const a = Tensor.fromArray([0.5, -0.25, 1], [3], true);
    const b = Tensor.fromArray([2, 3], [2], true);
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = Tensor.fromArray([1, -1, 0.5], [3]).keep();
    opt.step();
    expect(Array.from(await b.read())).toEqual([2, 3]);
    const s = await opt.state();
    expect(s.steps).toEqual([1, 0]);
    const ref = Float64Array.of(0.5, -0.25, 1);
    adamRefStep(ref, Float64Array.of(1, -1, 0.5), adamRefInit(3), { ...defaults, lr: 0.1 });
    expectClose(await a.read(), ref, tol, "a");
    opt.zeroGrad();
    opt.release();
    a.release();
    b.release();
  });

  it("keeps its moments when created inside tidy", async () => {
    const p = Tensor.fromArray([0.5, -0.5], [2], true);
    const opt = tidy(() => new Adam([p], { lr: 0.1 }));
    p.grad = Tensor.fromArray([1, 1], [2]).keep();
    opt.step();
    opt.step();
    const s = await opt.state();
    expect(s.steps).toEqual([2]);
    // m after two steps of g = 1: 0.1 + 0.9·0.1 = 0.19 (float32).
    expectClose(s.m[0], [0.19, 0.19], { atol: 1e-7, rtol: 0 }, "m");
    opt.zeroGrad();
    opt.release();
    p.release();
  });

  it("resumes exactly from state()/loadState()", async () => {
    const shape = [3, 5, 7];
    const init = Float32Array.from(rand(105, 7));
    const p1 = Tensor.fromArray(init, shape, true);
    const opt1 = new Adam([p1], { lr: 0.005, weightDecay: 0.01 });
    for (let t = 1; t <= 3; t++) {
      setGrads([p1], t);
      opt1.step();
    }
    const snapshot = await opt1.state();
    const p2 = Tensor.fromArray(await p1.read(), shape, true);
    const opt2 = new Adam([p2], { lr: 0.005, weightDecay: 0.01 });
    opt2.loadState(snapshot);
    for (let t = 4; t <= 5; t++) {
      setGrads([p1], t);
      setGrads([p2], t);
      opt1.step();
      opt2.step();
    }
    // Same float32 inputs, same kernel: bit-identical.
    expect(Array.from(await p2.read())).toEqual(Array.from(await p1.read()));
    expect((await opt2.state()).steps).toEqual([5]);
    for (const o of [opt1, opt2]) {
      o.zeroGrad();
      o.release();
    }
    p1.release();
    p2.release();
  });

  it("splits a parameter larger than one binding when the limit is lowered", async () => {
    const n = 100_003; // 7 chunks of a 64 KiB binding
    const init = rand(n, 8);
    // No weight decay here: among 1e5 elements some g + wd·p cancel to ~1e-8 (≈ eps), where float32 rounding of the
    // sum legitimately moves the update by ~1e-5; the small cases above cover weight decay.
    const o = { ...defaults, lr: 0.005 };
    await withBindingLimit(rt, 64 * 1024, async () => {
      const p = Tensor.fromArray(Float32Array.from(init), [n], true);
      const ref = Float64Array.from(init);
      const state = adamRefInit(n);
      const opt = new Adam([p], { lr: o.lr });
      for (let t = 1; t <= 2; t++) {
        const [g] = setGrads([p], t);
        opt.step();
        adamRefStep(ref, g, state, o);
      }
      expectClose(await p.read(), ref, tol, "param");
      opt.zeroGrad();
      opt.release();
      p.release();
    });
  });
});
