// GPU memory must stay flat over a training loop: every step wrapped in `tidy`, the optimizer's state kept.
import { beforeAll, describe, expect, it } from "vitest";
import { backward, noGrad } from "../src/nn/autograd.ts";
import { createVariant } from "../src/nn/modules/unet.ts";
import { bceLoss } from "../src/nn/ops/bce_loss.ts";
import { batchNorm2d } from "../src/nn/ops/batch_norm2d.ts";
import { conv2d } from "../src/nn/ops/conv2d.ts";
import { relu, sigmoid } from "../src/nn/ops/elementwise.ts";
import { Adam } from "../src/nn/optim.ts";
import { Tensor, tidy } from "../src/nn/tensor.ts";
import type { Runtime } from "../src/kernels/runtime.ts";
import { gpu, rand } from "./helpers.ts";

let rt: Runtime;
beforeAll(async () => {
  rt = await gpu();
});

describe("memory over a training loop", () => {
  it("200 steps of a small conv net keep live buffers and bytes flat, and the loss falls", async () => {
    const n = 2, h = 12, w = 10;
    // Target: pixels brighter than 0.5 are "hits": learnable by conv → BN → relu → 1×1 conv.
    const xs = rand(n * h * w, 1, 0, 1);
    const x = Tensor.fromArray(Float32Array.from(xs), [n, 1, h, w]);
    const target = Tensor.fromArray(xs.map((v) => (v > 0.5 ? 1 : 0)), [n, 1, h, w]);
    const params = [
      Tensor.fromArray(rand(6 * 9, 2, -0.5, 0.5), [6, 1, 3, 3], true),
      Tensor.fromArray(rand(6, 3, -0.1, 0.1), [6], true),
      Tensor.full([6], 1, true),
      Tensor.zeros([6], true),
      Tensor.fromArray(rand(6, 4, -0.5, 0.5), [1, 6, 1, 1], true),
      Tensor.zeros([1], true),
    ];
    const [w1, b1, gamma, beta, w2, b2] = params;
    const runningMean = Tensor.zeros([6]);
    const runningVar = Tensor.full([6], 1);
    const opt = new Adam(params, { lr: 0.02 });
    const samples: { step: number; live: number; bytes: number; pooled: number }[] = [];
    const losses: number[] = [];
    for (let step = 1; step <= 200; step++) {
      const loss = tidy(() => {
        const hidden = relu(batchNorm2d(conv2d(x, w1, b1), gamma, beta, runningMean, runningVar, {
          training: true,
          momentum: 0.005,
        }));
        const p = sigmoid(conv2d(hidden, w2, b2));
        const l = bceLoss(p, target);
        backward(l);
        opt.step();
        opt.zeroGrad();
        return l;
      });
      if (step === 1 || step % 50 === 0) losses.push((await loss.read())[0]);
      loss.release();
      if (step % 20 === 0) {
        await rt.sync();
        samples.push({
          step,
          live: rt.pool.liveCount,
          bytes: rt.pool.liveBytes,
          pooled: rt.pool.liveBytes + rt.pool.freeBytes,
        });
      }
    }
    console.log("memory samples", JSON.stringify(samples));
    console.log("losses", losses.map((l) => l.toFixed(4)).join(" → "));
    // Exactly flat after the first steps: same buffers each step, nothing grows.
    for (const s of samples) {
      expect(s.live, `live buffers at step ${s.step}`).toBe(samples[0].live);
      expect(s.bytes, `live bytes at step ${s.step}`).toBe(samples[0].bytes);
      expect(s.pooled, `pool bytes at step ${s.step}`).toBe(samples[0].pooled);
    }
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.5);
    for (const t of [x, target, runningMean, runningVar, ...params]) t.release();
    opt.release();
  });
});

describe("inference memory", () => {
  // UNet-3-32 in inference releases each activation once read, so at most 128 full-resolution float32 channels
  // are live at once (512 B per pixel), worked out by hand from the architecture: at the top decoder level either
  // [upsampled 32 + gated skip 32 + their concat 64] or, inside its DoubleConv, [concat 64 + conv 32 + norm 32];
  // everything lower is at ¼ or 1/16 of the pixels, and the skips below were freed by then. Normalisation
  // statistics add a few floats per 128 values: 540 B per pixel is the bound. Recording the graph keeps all
  // activations (> 3 KB per pixel), so the two cannot be confused.
  for (const variant of ["deepcr", "att-cosmic-conn"] as const) {
    it(`${variant}: a forward under noGrad peaks below 540 B/pixel, leaves only its output, and equals the recorded one`, async () => {
      const side = 64, px = side * side;
      const model = createVariant(variant, 3);
      model.eval();
      const x = Tensor.fromArray(rand(px, 11, 90, 110), [1, 1, side, side]);
      const base = rt.pool.liveBytes;
      rt.pool.resetPeak();
      const y = tidy(() => noGrad(() => model.forward(x)));
      const peak = (rt.pool.peakBytes - base) / px;
      expect(peak, "peak bytes per pixel").toBeLessThan(540);
      expect(rt.pool.liveBytes - base, "only the output (4 B/pixel, 256-byte rounded) is left").toBe(px * 4);
      rt.pool.resetPeak();
      const recorded = tidy(() => model.forward(x));
      expect((rt.pool.peakBytes - base) / px, "with the graph recorded, every activation stays").toBeGreaterThan(3000);
      expect(Array.from(await y.read())).toEqual(Array.from(await recorded.read()));
      for (const t of [x, y, recorded]) t.release();
      model.release();
    });
  }
});
