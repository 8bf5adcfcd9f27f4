// Training-step benchmark: forward + BCE + backward + Adam of the paper's four UNets at batch 16 × 256² (the
// paper's setting), in 256² patches per second, beside PyTorch on this machine (bench/torch_train.py).
//   deno task bench:train [--variants deepcr,…] [--batch 16] [--patch 256] [--reps 2] [--json]
// One warm-up step (pipelines, pool buffers), then `reps` timed steps, each ending with the loss read back; the
// median step is reported.
import { parseArgs, writeResults } from "../src/cli/args.ts";
import { VARIANTS, type VariantName } from "../src/nn/modules/unet.ts";
import { init } from "../src/nn/tensor.ts";
import { benchTrainStep, type TrainResult } from "./train_step.ts";

/** PyTorch 1.13 CPU (2 threads) on this machine, batch 16 × 256², from the issue; bench/torch_train.py re-measures. */
const PYTORCH_QUOTED = { low: 0.42, high: 0.55 };

export type { TrainResult };

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
  log("variant            median s/step   patches/s   runs (s)             peak live MiB");
  const results: TrainResult[] = [];
  for (const variant of variants) {
    const result = await benchTrainStep(variant, batch, patch, reps);
    const { seconds, runs, peakLiveBytes } = result;
    results.push(result);
    log(
      `${variant.padEnd(17)} ${seconds.toFixed(2).padStart(14)} ${result.patchesPerSecond.toFixed(3).padStart(11)}   ` +
        `${runs.map((s) => s.toFixed(2)).join(" ").padEnd(20)} ${(peakLiveBytes / 2 ** 20).toFixed(0).padStart(12)}`,
    );
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
