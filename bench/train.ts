// Training-step benchmark: forward + BCE + backward + Adam of the paper's four UNets at batch 16 × 256² (the
// paper's setting), in 256² patches per second, beside PyTorch on this machine (bench/torch_train.py).
//   deno task bench:train [--variants deepcr,…] [--batch 16] [--patch 256] [--reps 2] [--json]
// One warm-up step (pipelines, pool buffers), then `reps` timed steps, each ending with the loss read back; the
// median step is reported.
import { parseArgs, writeResults } from "../src/cli/args.ts";
import { backward } from "../src/nn/autograd.ts";
import { bceLoss } from "../src/nn/ops/bce_loss.ts";
import { createVariant, VARIANTS, type VariantName } from "../src/nn/modules/unet.ts";
import { Adam } from "../src/nn/optim.ts";
import { init, Tensor, tidy } from "../src/nn/tensor.ts";
import { Rng } from "../src/nn/init.ts";

/** PyTorch 1.13 CPU (2 threads) on this machine, batch 16 × 256², from the issue; bench/torch_train.py re-measures. */
const PYTORCH_QUOTED = { low: 0.42, high: 0.55 };

export interface TrainResult {
  variant: VariantName;
  batch: number;
  patch: number;
  /** Median seconds per step. */
  seconds: number;
  /** Patches of patch² per second (median step). */
  patchesPerSecond: number;
  runs: number[];
  /** Pool bytes live at the peak of a step (after the forward pass, every activation saved). */
  peakLiveBytes: number;
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args, {
    json: false,
    variants: "deepcr,att-deepcr,cosmic-conn,att-cosmic-conn",
    batch: "16",
    patch: "256",
    reps: "2",
    torch: "",
  });
  const log = (s: string) => (args.json ? console.error(s) : console.log(s));
  const variants = String(args.variants).split(",").map((v) => v.trim()) as VariantName[];
  for (const v of variants) if (!(v in VARIANTS)) throw new Error(`unknown variant "${v}"`);
  const [batch, patch, reps] = [Number(args.batch), Number(args.patch), Number(args.reps)];
  if (!(batch >= 1 && patch % 4 === 0 && reps >= 1)) throw new Error("need --batch ≥ 1, --patch a multiple of 4, --reps ≥ 1");
  const rt = await init();
  log(`adapter: ${rt.adapterName}; batch ${batch} × ${patch}², ${reps} timed steps after 1 warm-up`);
  // Sky with noise plus sparse bright hits; speed does not depend on the values, the loss just stays finite.
  const rng = new Rng(5);
  const n = batch * patch * patch;
  const images = new Float32Array(n), masks = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    images[i] = 100 + 5 * (rng.next() - 0.5);
    if (rng.next() < 3e-4) [images[i], masks[i]] = [images[i] + 300, 1];
  }
  log("variant            median s/step   patches/s   runs (s)             peak live MiB");
  const results: TrainResult[] = [];
  for (const variant of variants) {
    const model = createVariant(variant, 1);
    const opt = new Adam(model.parameters(), { lr: 0.005 });
    const x = Tensor.fromArray(images, [batch, 1, patch, patch]).keep();
    const t = Tensor.fromArray(masks, [batch, 1, patch, patch]).keep();
    let peakLiveBytes = 0;
    const step = async () => {
      const t0 = performance.now();
      const loss = tidy(() => {
        const l = bceLoss(model.forward(x), t);
        peakLiveBytes = Math.max(peakLiveBytes, rt.pool.liveBytes);
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
    await step();
    const runs: number[] = [];
    for (let r = 0; r < reps; r++) runs.push(await step());
    const sorted = [...runs].sort((a, b) => a - b);
    const seconds = sorted[Math.floor((sorted.length - 1) / 2)];
    const result = { variant, batch, patch, seconds, patchesPerSecond: batch / seconds, runs, peakLiveBytes };
    results.push(result);
    log(
      `${variant.padEnd(17)} ${seconds.toFixed(2).padStart(14)} ${result.patchesPerSecond.toFixed(3).padStart(11)}   ` +
        `${runs.map((s) => s.toFixed(2)).join(" ").padEnd(20)} ${(peakLiveBytes / 2 ** 20).toFixed(0).padStart(12)}`,
    );
    for (const tt of [x, t]) tt.release();
    opt.release();
    model.release();
    rt.pool.trim();
  }
  let torch: Record<string, number> | null = null;
  if (args.torch) {
    torch = JSON.parse(await Deno.readTextFile(String(args.torch))) as Record<string, number>;
    log(`\nPyTorch on this machine (${args.torch}):`);
    for (const r of results) {
      const p = torch[r.variant];
      if (p) log(`${r.variant.padEnd(17)} torch ${p.toFixed(3)} patches/s → crgpu/torch ${(r.patchesPerSecond / p).toFixed(2)}×`);
    }
  } else {
    log(`\nPyTorch 1.13 CPU here (quoted): ${PYTORCH_QUOTED.low}–${PYTORCH_QUOTED.high} patches/s; re-measure with ` +
      "`/usr/bin/python3 bench/torch_train.py > torch.json` and pass --torch torch.json");
  }
  const report = { adapter: rt.adapterName, results, pytorch: torch ?? PYTORCH_QUOTED };
  const file = await writeResults("train", report);
  log(`written: ${file}`);
  if (args.json) console.log(JSON.stringify(results));
}

if (import.meta.main) await main();
