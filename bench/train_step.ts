// One training step of a paper UNet, timed as bench/train.ts times it (forward + BCE + backward + Adam lr 0.005,
// inside `tidy`, the loss read back; one warm-up step, then `reps` timed steps, the median reported), for the
// browser page and for `deno task bench:train`: sky with noise plus sparse bright hits (seed 5).
import { backward } from "../src/nn/autograd.ts";
import { Rng } from "../src/nn/init.ts";
import { createVariant, type VariantName } from "../src/nn/modules/unet.ts";
import { bceLoss } from "../src/nn/ops/bce_loss.ts";
import { Adam } from "../src/nn/optim.ts";
import { rt, Tensor, tidy } from "../src/nn/tensor.ts";

/** The record bench/train.ts writes to bench/results/train-*.json. */
export interface TrainResult {
  variant: VariantName;
  batch: number;
  patch: number;
  /** Median seconds per step. */
  seconds: number;
  /** Patches of patch² per second (median step). */
  patchesPerSecond: number;
  runs: number[];
  /** Pool bytes live at the peak of a step (after the forward pass). */
  peakLiveBytes: number;
}

export function trainData(batch: number, patch: number): { images: Float32Array; masks: Float32Array } {
  const rng = new Rng(5);
  const n = batch * patch * patch;
  const images = new Float32Array(n), masks = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    images[i] = 100 + 5 * (rng.next() - 0.5);
    if (rng.next() < 3e-4) [images[i], masks[i]] = [images[i] + 300, 1];
  }
  return { images, masks };
}

export async function benchTrainStep(
  variant: VariantName,
  batch: number,
  patch: number,
  reps: number,
): Promise<TrainResult> {
  const pool = rt().pool;
  const { images, masks } = trainData(batch, patch);
  const model = createVariant(variant, 1);
  const opt = new Adam(model.parameters(), { lr: 0.005 });
  const x = Tensor.fromArray(images, [batch, 1, patch, patch]).keep();
  const t = Tensor.fromArray(masks, [batch, 1, patch, patch]).keep();
  let peakLiveBytes = 0;
  const step = async () => {
    const t0 = performance.now();
    const loss = tidy(() => {
      const l = bceLoss(model.forward(x), t);
      peakLiveBytes = Math.max(peakLiveBytes, pool.liveBytes);
      backward(l);
      opt.step();
      opt.zeroGrad();
      return l;
    });
    const v = (await loss.read())[0];
    loss.release();
    if (!Number.isFinite(v)) throw new Error(`${variant}: loss ${v}`);
    return (performance.now() - t0) / 1000;
  };
  try {
    await step(); // warm-up: pipelines, pool buffers
    const runs: number[] = [];
    for (let r = 0; r < reps; r++) runs.push(await step());
    const sorted = [...runs].sort((a, b) => a - b);
    const seconds = sorted[Math.floor((sorted.length - 1) / 2)];
    return { variant, batch, patch, seconds, patchesPerSecond: batch / seconds, runs, peakLiveBytes };
  } finally {
    for (const tt of [x, t]) tt.release();
    opt.release();
    model.release();
    pool.trim();
  }
}
