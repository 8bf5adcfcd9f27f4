import { beforeAll, describe, expect, it } from "vitest";
import { convLimits } from "../src/kernels/conv2d_layout.ts";
import { conv2d } from "../src/nn/ops/conv2d.ts";
import type { KernelSpec, Runtime } from "../src/kernels/runtime.ts";
import { gpu, gradCheck, rand, withBindingLimit } from "./helpers.ts";
import { conv2dRef, type ConvShape } from "./ref/conv2d.ts";

// Forward: a float32 sum of cin·k² products of values in [-1, 1] (≤ 300 here): rounding grows like √terms ulps.
const fwd = { atol: 1e-5, rtol: 1e-5 };
// Gradients: the weight gradient is a float32 sum of n·h·w products (≤ ~1000 here) against float64 finite
// differences, which are exact here (the reference is linear in each input).
const grad = { atol: 5e-5, rtol: 5e-5 };

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

function check(s: ConvShape, bias: boolean, seed: number): Promise<void> {
  const inputs = [
    { name: "x", data: rand(s.n * s.cin * s.h * s.w, seed), shape: [s.n, s.cin, s.h, s.w] },
    { name: "w", data: rand(s.cout * s.cin * s.k * s.k, seed + 1), shape: [s.cout, s.cin, s.k, s.k] },
  ];
  if (bias) inputs.push({ name: "b", data: rand(s.cout, seed + 2), shape: [s.cout] });
  return gradCheck({
    inputs,
    ref: ([x, w, b]) => conv2dRef(x, w, bias ? b : null, s),
    op: ([x, w, b]) => conv2d(x, w, bias ? b : null),
    forwardTol: fwd,
    gradTol: grad,
    seed: seed + 3,
  });
}

/** Runs `fn` counting the convolution dispatches, to show that a lowered binding limit really splits the work. */
async function countConvDispatches(fn: () => Promise<void>): Promise<number> {
  const original = rt.dispatch;
  let count = 0;
  rt.dispatch = function (spec: KernelSpec, ...rest) {
    if (spec.shader === "conv2d" || spec.shader === "conv2d_backward_weight") count++;
    return original.call(this, spec, ...rest);
  };
  try {
    await fn();
  } finally {
    rt.dispatch = original;
  }
  return count;
}

describe("conv2d 3×3 padding 1", () => {
  const cases: [string, ConvShape][] = [
    ["3→5, batch 2, 7×6 (width not a multiple of 4: padded rows)", { n: 2, cin: 3, cout: 5, h: 7, w: 6, k: 3 }],
    ["1→4 (one input channel), 5×8", { n: 2, cin: 1, cout: 4, h: 5, w: 8, k: 3 }],
    ["6→1 (one output channel), 4×4", { n: 1, cin: 6, cout: 1, h: 4, w: 4, k: 3 }],
    ["1×1 image, 2→3", { n: 2, cin: 2, cout: 3, h: 1, w: 1, k: 3 }],
    ["9→17 (partial channel blocks), 3×12", { n: 1, cin: 9, cout: 17, h: 3, w: 12, k: 3 }],
    ["odd 7×5, 4→8", { n: 1, cin: 4, cout: 8, h: 7, w: 5, k: 3 }],
  ];
  cases.forEach(([name, s], k) => it(name, () => check(s, true, 10 * k + 1)));
  it("without bias", () => check({ n: 2, cin: 3, cout: 5, h: 4, w: 8, k: 3 }, false, 77));
});

describe("conv2d 1×1", () => {
  const cases: [string, ConvShape][] = [
    ["3→5, batch 2, 7×6", { n: 2, cin: 3, cout: 5, h: 7, w: 6, k: 1 }],
    ["odd 7×5 plane (padded rows), 2→3", { n: 1, cin: 2, cout: 3, h: 7, w: 5, k: 1 }],
    ["1×1 image, 1→1", { n: 1, cin: 1, cout: 1, h: 1, w: 1, k: 1 }],
    ["20→9 (more than one input block), 4×4", { n: 2, cin: 20, cout: 9, h: 4, w: 4, k: 1 }],
  ];
  cases.forEach(([name, s], k) => it(name, () => check(s, true, 100 + 10 * k)));
});

describe("conv2d past the storage binding limit", () => {
  // With 4 KiB bindings (960 floats), x and y of one sample do not fit: the work is split over samples and
  // input/output channel ranges (partial sums accumulate), and the gradients over samples.
  const cases: [string, ConvShape][] = [
    ["3×3, 4→3, 16×16: input channels split", { n: 3, cin: 4, cout: 3, h: 16, w: 16, k: 3 }],
    ["3×3, 4→12, 14×15: output channels split, padded rows", { n: 2, cin: 4, cout: 12, h: 14, w: 15, k: 3 }],
    ["3×3, 5→6, 12×12: one sample per dispatch", { n: 2, cin: 5, cout: 6, h: 12, w: 12, k: 3 }],
    ["1×1, 7→9, 12×12", { n: 3, cin: 7, cout: 9, h: 12, w: 12, k: 1 }],
  ];
  cases.forEach(([name, s], k) =>
    it(name, async () => {
      const dispatches = await countConvDispatches(() =>
        withBindingLimit(rt, 4096, () => check(s, true, 200 + 10 * k))
      );
      // One forward, one backward-input, one weight-gradient and one bias dispatch would mean no splitting.
      expect(dispatches).toBeGreaterThan(2 * s.n);
    })
  );
});

describe("conv2d weight gradient over long row ranges", () => {
  // The tests above give each weight-gradient invocation about one row; here one invocation sums every row.
  const cases: [string, ConvShape][] = [
    ["3×3, 3→5, batch 2, 7×6", { n: 2, cin: 3, cout: 5, h: 7, w: 6, k: 3 }],
    ["1×1, 20→9, batch 2, 4×4", { n: 2, cin: 20, cout: 9, h: 4, w: 4, k: 1 }],
  ];
  cases.forEach(([name, s], k) =>
    it(name, async () => {
      const saved = convLimits.targetInvocations;
      convLimits.targetInvocations = 1;
      try {
        await check(s, true, 400 + 10 * k);
      } finally {
        convLimits.targetInvocations = saved;
      }
    })
  );
});

describe("conv2d past the loop budget", () => {
  // Mesa stops an invocation's loops after 65 535 iterations; the kernels split rows and row ranges to stay under
  // a budget. A budget of 5 iterations forces row segments in the forward pass, one row per weight-gradient slot
  // and more slots than the scratch holds (partial sums reduced more than once).
  const cases: [string, ConvShape][] = [
    ["3×3, 5→6, batch 3, 30×8", { n: 3, cin: 5, cout: 6, h: 30, w: 8, k: 3 }],
    ["1×1, 5→6, batch 3, 30×8", { n: 3, cin: 5, cout: 6, h: 30, w: 8, k: 1 }],
  ];
  cases.forEach(([name, s], k) =>
    it(name, async () => {
      const saved = convLimits.loopBudget;
      convLimits.loopBudget = 5;
      try {
        await check(s, true, 300 + 10 * k);
      } finally {
        convLimits.loopBudget = saved;
      }
    })
  );
});
